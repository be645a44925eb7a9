-- Live tickets: one deleted in Intercom (found by `--reconcile`) keeps its loaded row, flagged
-- (`_deleted_at`; docs/deletions.md), and is excluded here.
with loaded as (
    {{ intercom_sync.stage('tickets', [
        ['id', 'ticket_id', 'string'],
        ['ticket_id', 'ticket_number', 'string'],
        ['ticket_type__id', 'ticket_type_id', 'string'],
        ['ticket_type__name', 'ticket_type_name', 'string'],
        ['ticket_state__id', 'ticket_state_id', 'string'],
        ['ticket_state__category', 'ticket_state_category', 'string'],
        ['open', 'is_open', 'bool'],
        ['created_at', 'created_at', 'timestamp'],
        ['updated_at', 'updated_at', 'timestamp'],
        ['parts_total_count', 'count_parts_total', 'bigint'],
        ['_deleted_at', 'deleted_at', 'timestamp'],
    ]) }}
)

select loaded.*
from loaded
where loaded.deleted_at is null

-- `ticket_state` is the ticket's state category right after the part.
-- Parts of a ticket that left are flagged with it (`_deleted_at`, docs/deletions.md): excluded.
with loaded as (
    {{ intercom_sync.stage('ticket_parts', [
        ['id', 'part_id', 'string'],
        ['ticket_id', 'ticket_id', 'string'],
        ['part_type', 'part_type', 'string'],
        ['created_at', 'created_at', 'timestamp'],
        ['author__type', 'author_type', 'string'],
        ['author__id', 'author_id', 'string'],
        ['previous_ticket_state', 'previous_ticket_state', 'string'],
        ['ticket_state', 'ticket_state', 'string'],
        ['_deleted_at', 'deleted_at', 'timestamp'],
    ]) }}
)

select loaded.*
from loaded
where loaded.deleted_at is null

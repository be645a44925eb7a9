-- Live contacts: a contact merged into another or deleted keeps its loaded row, flagged
-- (`_deleted_at`, `_merged_into_id`; docs/deletions.md), and is excluded here.
with loaded as (
    {{ intercom_sync.stage('contacts', [
        ['id', 'contact_id', 'string'],
        ['role', 'role', 'string'],
        ['name', 'contact_name', 'string'],
        ['email', 'email', 'string'],
        ['external_id', 'external_id', 'string'],
        ['owner_id', 'owner_id', 'string'],
        ['location__country', 'country', 'string'],
        ['created_at', 'created_at', 'timestamp'],
        ['updated_at', 'updated_at', 'timestamp'],
        ['signed_up_at', 'signed_up_at', 'timestamp'],
        ['last_seen_at', 'last_seen_at', 'timestamp'],
        ['last_replied_at', 'last_replied_at', 'timestamp'],
        ['_deleted_at', 'deleted_at', 'timestamp'],
    ]) }}
)

select loaded.*
from loaded
where loaded.deleted_at is null

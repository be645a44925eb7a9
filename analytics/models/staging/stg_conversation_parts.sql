-- Parts of live conversations. `state` is the conversation's state right after the part.
with loaded as (
    {{ intercom_sync.stage('conversation_parts', [
        ['id', 'part_id', 'string'],
        ['conversation_id', 'conversation_id', 'string'],
        ['part_type', 'part_type', 'string'],
        ['created_at', 'created_at', 'timestamp'],
        ['updated_at', 'updated_at', 'timestamp'],
        ['author__type', 'author_type', 'string'],
        ['author__id', 'author_id', 'string'],
        ['assigned_to__type', 'assigned_to_type', 'string'],
        ['assigned_to__id', 'assigned_to_id', 'string'],
        ['body', 'body', 'string'],
        ['state', 'state', 'string'],
        ['_deleted_at', 'deleted_at', 'timestamp'],
    ]) }}
)

select loaded.*
from loaded
where loaded.deleted_at is null and exists (
    select 1 from {{ ref('stg_conversations') }} as c where c.conversation_id = loaded.conversation_id
)

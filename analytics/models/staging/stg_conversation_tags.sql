with loaded as (
    {{ intercom_sync.stage('conversations__tags', [
        ['conversation_id', 'conversation_id', 'string'],
        ['tag_id', 'tag_id', 'string'],
    ]) }}
)

select loaded.*
from loaded
where exists (
    select 1 from {{ ref('stg_conversations') }} as c where c.conversation_id = loaded.conversation_id
)

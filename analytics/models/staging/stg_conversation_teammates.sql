with loaded as (
    {{ intercom_sync.stage('conversations__teammates', [
        ['conversation_id', 'conversation_id', 'string'],
        ['admin_id', 'admin_id', 'string'],
    ]) }}
)

select loaded.*
from loaded
where exists (
    select 1 from {{ ref('stg_conversations') }} as c where c.conversation_id = loaded.conversation_id
)

with loaded as (
    {{ intercom_sync.stage('contacts__tags', [
        ['contact_id', 'contact_id', 'string'],
        ['tag_id', 'tag_id', 'string'],
    ]) }}
)

select loaded.*
from loaded
where exists (select 1 from {{ ref('stg_contacts') }} as c where c.contact_id = loaded.contact_id)

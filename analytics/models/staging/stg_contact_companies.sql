with loaded as (
    {{ intercom_sync.stage('contacts__companies', [
        ['contact_id', 'contact_id', 'string'],
        ['company_id', 'company_id', 'string'],
    ]) }}
)

select loaded.*
from loaded
where exists (select 1 from {{ ref('stg_contacts') }} as c where c.contact_id = loaded.contact_id)

{{ intercom_sync.fivetran_link('contacts', 'companies', 'contact_id', [
    ['contact_id', 'contact_id', 'string'],
    ['company_id', 'company_id', 'string'],
]) }}

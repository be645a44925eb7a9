{{ intercom_sync.fivetran_link('companies', 'tags', 'company_id', [
    ['company_id', 'company_id', 'string'],
    ['tag_id', 'tag_id', 'string'],
]) }}

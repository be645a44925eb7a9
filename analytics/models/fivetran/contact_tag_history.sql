{{ intercom_sync.fivetran_link('contacts', 'tags', 'contact_id', [
    ['contact_id', 'contact_id', 'string'],
    ['tag_id', 'tag_id', 'string'],
]) }}

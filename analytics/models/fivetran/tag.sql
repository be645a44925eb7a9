{{ intercom_sync.fivetran_lookup('tags', [
    ['id', 'id', 'string'],
    ['name', 'name', 'string'],
]) }}

{{ intercom_sync.fivetran_lookup('teams', [
    ['id', 'id', 'string'],
    ['name', 'name', 'string'],
]) }}

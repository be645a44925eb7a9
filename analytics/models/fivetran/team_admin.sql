{{ intercom_sync.fivetran_lookup('teams__admin_ids', [
    ['team_id', 'team_id', 'string'],
    ['admin_id', 'admin_id', 'string'],
]) }}

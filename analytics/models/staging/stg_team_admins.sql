{{ intercom_sync.stage('teams__admin_ids', [
    ['team_id', 'team_id', 'string'],
    ['admin_id', 'admin_id', 'string'],
]) }}

{{ intercom_sync.stage('admins__team_ids', [
    ['admin_id', 'admin_id', 'string'],
    ['team_id', 'team_id', 'string'],
]) }}

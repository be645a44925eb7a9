{{ intercom_sync.stage('admins', [
    ['id', 'admin_id', 'string'],
    ['name', 'admin_name', 'string'],
    ['email', 'email', 'string'],
    ['job_title', 'job_title', 'string'],
    ['away_mode_enabled', 'is_away', 'bool'],
    ['has_inbox_seat', 'has_inbox_seat', 'bool'],
]) }}

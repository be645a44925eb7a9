{{ intercom_sync.stage('teams', [
    ['id', 'team_id', 'string'],
    ['name', 'team_name', 'string'],
    ['distribution_method', 'distribution_method', 'string'],
]) }}

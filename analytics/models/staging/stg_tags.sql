{{ intercom_sync.stage('tags', [
    ['id', 'tag_id', 'string'],
    ['name', 'tag_name', 'string'],
]) }}

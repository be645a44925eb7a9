{{ intercom_sync.stage('companies__tags', [
    ['company_id', 'company_id', 'string'],
    ['tag_id', 'tag_id', 'string'],
]) }}

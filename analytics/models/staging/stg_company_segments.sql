{{ intercom_sync.stage('companies__segments', [
    ['company_id', 'company_id', 'string'],
    ['segment_id', 'segment_id', 'string'],
]) }}

{{ intercom_sync.stage('contacts_merged', [
    ['id', 'contact_id', 'string'],
    ['merged_into_id', 'merged_into_id', 'string'],
    ['merged_at', 'merged_at', 'timestamp'],
]) }}

{{ intercom_sync.stage('segments', [
    ['id', 'segment_id', 'string'],
    ['name', 'segment_name', 'string'],
    ['person_type', 'person_type', 'string'],
    ['count', 'member_count', 'bigint'],
    ['created_at', 'created_at', 'timestamp'],
    ['updated_at', 'updated_at', 'timestamp'],
]) }}

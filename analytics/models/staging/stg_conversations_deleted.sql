{{ intercom_sync.stage('conversations_deleted', [
    ['id', 'conversation_id', 'string'],
    ['deleted_at', 'deleted_at', 'timestamp'],
    ['metrics_retained', 'is_metrics_retained', 'bool'],
]) }}

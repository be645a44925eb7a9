{{ intercom_sync.stage('companies', [
    ['id', 'company_id', 'string'],
    ['company_id', 'company_code', 'string'],
    ['name', 'company_name', 'string'],
    ['plan__name', 'plan_name', 'string'],
    ['industry', 'industry', 'string'],
    ['size', 'company_size', 'bigint'],
    ['monthly_spend', 'monthly_spend', 'float'],
    ['user_count', 'user_count', 'bigint'],
    ['session_count', 'session_count', 'bigint'],
    ['created_at', 'created_at', 'timestamp'],
    ['updated_at', 'updated_at', 'timestamp'],
    ['remote_created_at', 'remote_created_at', 'timestamp'],
]) }}

{{ intercom_sync.fivetran_lookup('admins', [
    ['id', 'id', 'string'],
    ['name', 'name', 'string'],
    ['job_title', 'job_title', 'string'],
    ['email', 'email', 'string'],
]) }}

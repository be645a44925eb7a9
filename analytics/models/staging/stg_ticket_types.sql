{{ intercom_sync.stage('ticket_types', [
    ['id', 'ticket_type_id', 'string'],
    ['name', 'ticket_type_name', 'string'],
    ['category', 'category', 'string'],
    ['archived', 'is_archived', 'bool'],
]) }}

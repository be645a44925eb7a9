{{ intercom_sync.stage('ticket_types__ticket_type_attributes', [
    ['ticket_type_id', 'ticket_type_id', 'string'],
    ['id', 'attribute_id', 'string'],
    ['name', 'attribute_name', 'string'],
    ['data_type', 'data_type', 'string'],
    ['required_to_create', 'is_required_to_create', 'bool'],
]) }}

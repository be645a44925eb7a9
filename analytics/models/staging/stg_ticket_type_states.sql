{{ intercom_sync.stage('ticket_types__ticket_states', [
    ['ticket_type_id', 'ticket_type_id', 'string'],
    ['id', 'ticket_state_id', 'string'],
    ['category', 'category', 'string'],
    ['internal_label', 'internal_label', 'string'],
    ['external_label', 'external_label', 'string'],
]) }}

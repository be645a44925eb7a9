{{ intercom_sync.stage('tickets__contacts', [
    ['ticket_id', 'ticket_id', 'string'],
    ['contact_id', 'contact_id', 'string'],
]) }}

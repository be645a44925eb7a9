{{ intercom_sync.fivetran_link('conversations', 'contacts', 'conversation_id', [
    ['conversation_id', 'conversation_id', 'string'],
    ['contact_id', 'contact_id', 'string'],
]) }}

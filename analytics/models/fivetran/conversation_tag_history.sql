{{ intercom_sync.fivetran_link('conversations', 'tags', 'conversation_id', [
    ['conversation_id', 'conversation_id', 'string'],
    ['tag_id', 'tag_id', 'string'],
]) }}

{{ intercom_sync.fivetran_entity('help_centers', [
    ['id', 'id', 'string'],
    ['workspace_id', 'workspace_id', 'string'],
    ['identifier', 'identifier', 'string'],
    ['display_name', 'display_name', 'string'],
    ['website_turned_on', 'website_turned_on', 'bool'],
    ['created_at', 'created_at', 'timestamp'],
    ['updated_at', 'updated_at', 'timestamp'],
]) }}

{{ intercom_sync.stage('data_attributes', [
    ['model', 'model', 'string'],
    ['name', 'attribute_name', 'string'],
    ['full_name', 'full_name', 'string'],
    ['label', 'label', 'string'],
    ['data_type', 'data_type', 'string'],
    ['custom', 'is_custom', 'bool'],
    ['archived', 'is_archived', 'bool'],
]) }}

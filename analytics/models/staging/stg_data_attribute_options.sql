-- The allowed values of list-type data attributes (each row carries its attribute's key).
{{ intercom_sync.stage('data_attributes__options', [
    ['data_attribute_model', 'model', 'string'],
    ['data_attribute_name', 'attribute_name', 'string'],
    ['value', 'option_value', 'string'],
]) }}

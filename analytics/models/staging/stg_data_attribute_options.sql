-- The allowed values of list-type data attributes.
with attributes as (
    {{ intercom_sync.stage('data_attributes', [
        ['_dlt_id', 'row_id', 'string'], ['model', 'model', 'string'],
        ['name', 'attribute_name', 'string']]) }}
),

options as (
    {{ intercom_sync.stage('data_attributes__options', [
        ['_dlt_parent_id', 'parent_id', 'string'], ['value', 'option_value', 'string']]) }}
)

select attributes.model, attributes.attribute_name, options.option_value
from options inner join attributes on attributes.row_id = options.parent_id

-- The list options of list-type ticket type attributes.
with attributes as (
    {{ intercom_sync.stage('ticket_types__ticket_type_attributes', [
        ['_dlt_id', 'row_id', 'string'], ['ticket_type_id', 'ticket_type_id', 'string'],
        ['id', 'attribute_id', 'string']]) }}
),

options as (
    {{ intercom_sync.stage('ticket_types__ticket_type_attributes__input_options__list_options', [
        ['_dlt_parent_id', 'parent_id', 'string'], ['label', 'option_label', 'string']]) }}
)

select attributes.ticket_type_id, attributes.attribute_id, options.option_label
from options inner join attributes on attributes.row_id = options.parent_id

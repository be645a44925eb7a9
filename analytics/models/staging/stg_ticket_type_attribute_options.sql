-- The list options of list-type ticket type attributes (each row carries its attribute's ids).
{{ intercom_sync.stage('ticket_types__ticket_type_attributes__input_options__list_options', [
    ['ticket_type_id', 'ticket_type_id', 'string'],
    ['ticket_type_attribute_id', 'attribute_id', 'string'],
    ['label', 'option_label', 'string'],
]) }}

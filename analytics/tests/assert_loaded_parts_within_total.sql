-- The warehouse never holds more parts of a conversation than Intercom says it has.
select conversation_id, count_parts_loaded, count_parts_total
from {{ ref('conversation_metrics') }}
where count_parts_loaded > count_parts_total

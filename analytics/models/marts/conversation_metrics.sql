-- One row per live conversation: part counts and event times (definitions: _metric_definitions.md).
select
    conversation_id,
    created_at,
    count_parts_loaded,
    count_parts_total,
    count_parts_loaded < count_parts_total as is_parts_truncated,
    count_reopens,
    count_assignments,
    count_closes,
    first_contact_reply_at,
    last_contact_reply_at,
    first_assignment_at,
    last_assignment_at,
    first_admin_response_at,
    last_admin_response_at,
    first_close_at,
    last_close_at,
    {{ intercom_sync.minutes_between('created_at', 'first_assignment_at') }}
        as minutes_to_first_assignment,
    {{ intercom_sync.minutes_between('created_at', 'first_admin_response_at') }}
        as minutes_to_first_response,
    {{ intercom_sync.minutes_between('created_at', 'first_close_at') }}
        as minutes_to_first_close,
    {{ intercom_sync.minutes_between('created_at', 'last_close_at') }}
        as minutes_to_last_close
from {{ ref('int_conversation_timeline') }}

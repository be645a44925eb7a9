-- First events never come after last events, and nothing happens before creation.
select conversation_id
from {{ ref('conversation_metrics') }}
where first_close_at > last_close_at
   or first_admin_response_at > last_admin_response_at
   or first_contact_reply_at > last_contact_reply_at
   or first_assignment_at > last_assignment_at
   or first_close_at < created_at
   or first_admin_response_at < created_at

{% test unique_combination(model, columns) %}
{#- no two rows share the same values of `columns` (the grain of a multi-column key) -#}
select {{ columns | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

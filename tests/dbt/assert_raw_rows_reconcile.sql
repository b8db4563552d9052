-- Every raw row read lands in exactly one of kept / duplicate / quarantined / held.
-- It also checks the incremental staging models (README, "Incremental processing").
select *
from {{ ref('stg_raw_row_reconciliation') }}
where rows_read <> rows_kept + duplicates + quarantined + held

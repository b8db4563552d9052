{#- at_risk_checkin: entering rfm_at_risk (macros/triggers/segment_move_series.sql). -#}

{{ nudge.segment_move_series('rfm_at_risk', 'entered') }}

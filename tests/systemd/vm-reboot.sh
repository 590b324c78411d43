# Boot 2 of the systemd suite, sourced by vm-guest.sh: the reboot after boot 1's
# power cut, on the same disk. Nothing here starts the PLC: the boot did
# (multi-user.target wants raspiplc.target; plc-vmtest.service is ordered
# after the services).
check "raspiplc.target was started by the boot" eq "$(systemctl is-active raspiplc.target)" active
for s in shm-init "${services[@]}"; do
    check "plc-$s is active after the boot" eq "$(systemctl is-active "plc-$s")" active
done
for s in "${services[@]}"; do
    check "plc-$s started once (NRestarts 0)" eq "$(systemctl show -p NRestarts --value "plc-$s")" 0
done
check "plc-mqtt skipped at the boot: [mqtt] enabled = no (ExecCondition=)" \
    eq "$(systemctl is-active plc-mqtt) $(systemctl show -p Result --value plc-mqtt)" "inactive exec-condition"
check "plc-shm-init restored the retained tags from the disk" \
    bash -c "journalctl -b -q -o cat -u plc-shm-init | grep -q 'retained tags restored from /var/lib/raspiplc/demo.retain'"
check "/dev/$chip is gpio 660 from the boot on (the udev rule)" eq "$(stat -c '%G %a' "/dev/$chip")" "gpio 660"
check "plc-web answers GET /api/layout after the boot" until_ms "$WAIT_MS" web_layout_is_demo
check "alice, added in boot 1, logs in after the boot" answers 200 '"role": "operator"' \
    alice login alice alice-pw
check "fault_delay_ms 40107 reads 4321, written in boot 1" until_ms "$WAIT_MS" reads 4321 -t 4:int -B -r 107
check "level_low 40103 reads 12.5, written just before the power cut" reads 12.5 -t 4:float -B -r 103
check "level_high 40101 reads its initial 80" reads 80 -t 4:float -B -r 101
check "the program runs the outputs (motor_fault low)" until_ms "$WAIT_MS" level_is 25 0
echo pull-up > "$sys/sim_gpio22/pull" # the contactor's feedback
ack=$(mb -t 3 -r 11)
check "write cmd_start = ack_start + 1 over Modbus" eq "$(mbw -t 4 -r 1 127.0.0.1 $((ack + 1)))" "Written 1 references."
check "motor_run line GPIO23 goes high" until_ms "$WAIT_MS" level_is 23 1

# ---- remove, then purge -------------------------------------------------------------
echo "; the user's edit" >> /etc/raspiplc/layout.ini
cp /etc/raspiplc/layout.ini "$log/layout.mine"
if dpkg -r raspiplc > "$log/remove.log" 2>&1; then
    ok "dpkg -r raspiplc exits 0"
else
    bad "dpkg -r raspiplc exits 0"
    sed 's/^/     | /' "$log/remove.log"
fi
# The stop of raspiplc.target in prerm; plc-retain's last snapshot on SIGTERM
# may still be going when dpkg returns, so each is waited for, within WAIT_MS.
for s in "${services[@]}"; do
    check "plc-$s is not running after the removal" until_ms "$WAIT_MS" bash -c "! pgrep -x plc-$s"
done
check "units removed" bash -c '! systemctl cat plc-io.service >/dev/null 2>&1'
check "udev rule removed" test ! -e /lib/udev/rules.d/60-raspiplc.rules
check "the user's layout is kept (a conffile)" cmp -s "$log/layout.mine" /etc/raspiplc/layout.ini
check "retained values are kept" test -s /var/lib/raspiplc/demo.retain
check "plc-web's users file is kept" test -s /etc/raspiplc/web-users
# Debian packages leave their system users: files may still be theirs.
for u in init io logic modbus retain web mqtt; do
    check "user raspiplc-$u stays" getent passwd "raspiplc-$u"
done
check "group raspiplc stays" getent group raspiplc
if dpkg --purge raspiplc > "$log/purge.log" 2>&1; then
    ok "dpkg --purge raspiplc exits 0"
else
    bad "dpkg --purge raspiplc exits 0"
    sed 's/^/     | /' "$log/purge.log"
fi
check "the purge removes /etc/raspiplc" test ! -e /etc/raspiplc
check "the purge removes /var/lib/raspiplc (retained values)" test ! -e /var/lib/raspiplc
check "raspiplc.target no longer wanted by multi-user.target" \
    test ! -e /etc/systemd/system/multi-user.target.wants/raspiplc.target

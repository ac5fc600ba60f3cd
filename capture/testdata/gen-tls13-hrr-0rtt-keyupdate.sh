WORK=${WORK:-$(mktemp -d)}; cd "$WORK"
rm -f keylog2.txt cap2.pcap e*.sess
tcpdump -i lo -U -w cap2.pcap 'tcp port 45111 or tcp port 45112' 2>/dev/null & TD=$!
sleep 1
openssl s_server -accept 45111 -cert c.pem -key k.pem -groups P-256 -naccept 1 -quiet -www >/dev/null 2>&1 & S1=$!
(sleep 8) | openssl s_server -accept 45112 -cert c.pem -key k.pem -early_data -naccept 3 >"$WORK"/s2.log 2>&1 & S2=$!
sleep 1
echo -e "GET / HTTP/1.0\r\n\r\n" | timeout 5 openssl s_client -connect 127.0.0.1:45111 -tls1_3 -groups X25519:P-256 -keylogfile keylog2.txt -quiet >/dev/null 2>&1; sleep 0.3
(echo -e "GET / HTTP/1.0\r\n\r\n"; sleep 0.5) | timeout 5 openssl s_client -connect 127.0.0.1:45112 -tls1_3 -keylogfile keylog2.txt -sess_out e1.sess >/dev/null 2>&1; sleep 0.3
printf 'GET / HTTP/1.0\r\n\r\n' > early.txt
(sleep 0.5) | timeout 5 openssl s_client -connect 127.0.0.1:45112 -tls1_3 -keylogfile keylog2.txt -sess_in e1.sess -early_data early.txt >"$WORK"/c3.log 2>&1; sleep 0.3
(sleep 0.3; echo "k"; sleep 0.3; echo -e "GET / HTTP/1.0\r\n\r\n"; sleep 0.5) | timeout 5 openssl s_client -connect 127.0.0.1:45112 -tls1_3 -keylogfile keylog2.txt >"$WORK"/c4.log 2>&1; sleep 0.3
sleep 1
kill $TD; wait $TD
kill $S1 2>/dev/null; pkill -P $$ sleep 2>/dev/null

# The real Ratio1 Python SDK as a peer of our node (see sdk_peer.sh).
#   python3 sdk_peer.py PORT NODE_ADDR [addr]
import os, sys, time
from ratio1 import Session

port = int(sys.argv[1])
node = sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "full"
scratch = os.path.join(os.environ.get("HOME", "/tmp"), "sdk-peer-cache")
s = Session(host='127.0.0.1', port=port, user='any', pwd='any', secured=False, name='peer',
            auto_configuration=False, run_dauth=False, use_home_folder=False,
            local_cache_base_folder=scratch, verbosity=1)
print("CLIENT", s.get_client_address(), flush=True)
if mode == "addr":
    s.close()
    sys.exit(0)
print("NODE ONLINE", s.wait_for_node(node, timeout=30), flush=True)
print("ACTIVE", s.get_active_nodes(), flush=True)
print("ALLOWED", s.get_allowed_nodes(), flush=True)
got = []

def on_data(pipeline, data):
    got.append(dict(data))

p = s.create_pipeline(node=node, name='sdk_echo', data_source='Void')
i1 = p.create_plugin_instance(signature='ECHO_01', instance_id='e1', on_data=on_data,
                              process_delay=1)
i2 = p.create_plugin_instance(signature='ECHO_01', instance_id='e2', on_data=on_data,
                              process_delay=2)
p.deploy(timeout=20)
print("DEPLOYED", flush=True)
time.sleep(5)
print("PAYLOADS", len(got), sorted({g.get('INSTANCE_ID') for g in got}), flush=True)
i1.send_instance_command(command={"PING": 1}, command_params={"Reason": "sdk"}, timeout=20)
print("COMMAND DONE", flush=True)
time.sleep(2)
echoes = [g for g in got if 'ECHO' in g]
print("ECHOES", len(echoes), echoes[0].get('ECHO') if echoes else None,
      echoes[0].get('COMMAND_PARAMS') if echoes else None, flush=True)
p.close()
print("CLOSED", flush=True)
s.close()

"""
Manual interoperability check (not part of make check: the reference's
sources are not available in CI): the reference's own CStore,
naeural_core's chain_store_base.py (ChainStoreBasePlugin), runs as a peer
of our node on a local mosquitto.  Its messages are built, encrypted and
signed with the real Python SDK (ratio1.bc); ours are verified and
decrypted with it and handed to the reference's default_handler.

    cstore_ref_peer.py PORT PEM NODE_ADDR NODE_HTTP_PORT R1CONSOLE

Prints "RESULT 1 name" / "RESULT 0 name: detail" lines (cstore_ref_peer.sh
turns them into a summary).  Environment: CORE_DIR (an export of
naeural_core), SDK_DIR and the stand-ins on PYTHONPATH.
"""
import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid

import paho.mqtt.client as mqtt
from ratio1 import Logger
from ratio1.bc import DefaultBlockEngine

PORT, PEM, NODE, NODE_HTTP, R1 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ROOT = "naeural"


def result(ok, name, detail=""):
    print(f"RESULT {1 if ok else 0} {name}{'' if ok else ': ' + str(detail)}", flush=True)


# ---- the reference's plugin, loaded as naeural_core's own test loads it
class _FakeNetworkProcessorPlugin:
    CONFIG = {"VALIDATION_RULES": {}}

    @staticmethod
    def payload_handler(signature="DEFAULT"):
        def decorator(func):
            return func
        return decorator


src_path = os.path.join(os.environ["CORE_DIR"], "naeural_core/business/default/admin/chain_store_base.py")
source = open(src_path, encoding="utf-8").read().replace(
    "from naeural_core.business.base.network_processor import NetworkProcessorPlugin\n", "")
ns = {"__name__": "ref_chain_store_base", "NetworkProcessorPlugin": _FakeNetworkProcessorPlugin}
exec(compile(source, src_path, "exec"), ns)  # noqa: S102
ChainStoreBasePlugin = ns["ChainStoreBasePlugin"]


class _PayloadData:
    EE_SENDER = "EE_SENDER"
    EE_ID = "EE_ID"
    EE_DESTINATION = "EE_DEST"
    EE_IS_ENCRYPTED = "EE_IS_ENCRYPTED"


class _Const:
    PAYLOAD_DATA = _PayloadData


log = Logger("REFPEER", base_folder=os.environ["HOME"], app_folder="refpeer", silent=True)
bc = DefaultBlockEngine(log=log, name="refpeer",
                        config={"PEM_FILE": os.path.basename(PEM), "PASSWORD": None,
                                "PEM_LOCATION": "data"})


class RefPeer(ChainStoreBasePlugin):
    """The reference's ChainStoreBasePlugin with the runtime around it replaced."""

    def __init__(self, client):
        self.client = client
        self.bc = bc
        self.ee_addr = bc.address
        self.ee_id = "ref-peer"
        self._stream_id = "admin_pipeline"
        self._signature = "CHAIN_STORE_BASE"
        self.cfg_instance_id = "CHAIN_STORE_BASE_INST"
        self.const = _Const
        self.cfg_chain_store_debug = False
        self.cfg_chain_peers_refresh_interval = 60
        self.cfg_min_confirmations = 1
        self.cfg_max_inputs_queue_size = 1024
        self.input_queue_size = 0
        self._ChainStoreBasePlugin__chain_storage = {}
        self._ChainStoreBasePlugin__chain_peers = [NODE]
        self._ChainStoreBasePlugin__pending_hsync = {}
        self._ChainStoreBasePlugin__ops = __import__("collections").deque()
        self._ChainStoreBasePlugin__last_chain_peers_refresh = time.time()

    # the runtime's helpers
    def P(self, msg, color=None, **kwargs):
        pass

    def time(self):
        return time.time()

    def sleep(self, seconds):
        # the reference's wait loops sleep 100 ms at a time: let the network and
        # process() (the broadcast of queued ops) run meanwhile
        end = time.time() + seconds
        self.process()
        while time.time() < end:
            self.client.loop(timeout=max(0.0, end - time.time()))

    @staticmethod
    def deepcopy(v):
        return copy.deepcopy(v)

    @staticmethod
    def json_dumps(v, **kw):
        return json.dumps(v, **kw)

    @staticmethod
    def json_loads(v):
        return json.loads(v)

    @staticmethod
    def get_hash(value, algorithm="sha256", length=10):
        return hashlib.sha256(value.encode("utf-8")).hexdigest()[:length]

    @staticmethod
    def uuid(length=None):
        return str(uuid.uuid4())

    def get_instance_path(self):
        return [self.ee_id, self._stream_id, self._signature, self.cfg_instance_id]

    def cacheapi_save_pickle(self, value, verbose=True):
        pass

    def cacheapi_load_pickle(self, default=None, verbose=True):
        return copy.deepcopy(default)

    def trace_info(self):
        return ""

    def send_encrypted_payload(self, node_addr, **data):
        dests = node_addr if isinstance(node_addr, list) else [node_addr]
        if not dests:
            return
        now = log.now_str(nice_print=True, short=False)
        inner = {
            "EE_TIMESTAMP": now, "EE_TIMEZONE": log.utc_offset, "EE_TZ": log.timezone,
            "EE_MESSAGE_ID": str(uuid.uuid4()), **data,
            "STREAM_NAME": self._stream_id, "SIGNATURE": self._signature,
            "INSTANCE_ID": self.cfg_instance_id, "EE_IS_ENCRYPTED": True, "EE_DEST": dests,
        }
        msg = {
            "EE_ENCRYPTED_DATA": bc.encrypt(plaintext=json.dumps(inner, ensure_ascii=False),
                                            receiver_address=dests),
            "EE_IS_ENCRYPTED": True, "EE_DEST": dests,
            "EE_PAYLOAD_PATH": self.get_instance_path(), "EE_ID": self.ee_id,
            "EE_EVENT_TYPE": "PAYLOAD", "EE_TIMESTAMP": now, "EE_TIMEZONE": log.utc_offset,
            "EE_ADDR": bc.address,
        }
        bc.sign(msg, add_data=True, use_digest=True)
        for d in dests:
            self.client.publish(f"{ROOT}/{d}/payloads", json.dumps(msg), qos=1)

    def receive_and_decrypt_payload(self, data):
        # naeural_core plugin_base_utils.receive_and_decrypt_payload, on the SDK
        sender = data.get("EE_SENDER")
        result_ = {k: v for k, v in data.items() if k != "EE_ENCRYPTED_DATA"}
        if data.get("EE_IS_ENCRYPTED") and data.get("EE_ENCRYPTED_DATA"):
            dest = data.get("EE_DEST", [])
            dest = dest if isinstance(dest, list) else [dest]
            if bc.address not in dest:
                return {}
            plain = bc.decrypt(data["EE_ENCRYPTED_DATA"], sender)
            decrypted = json.loads(plain) if plain is not None else None
            if decrypted is not None:
                result_ = {**result_, **decrypted}
        return result_

    @property
    def storage(self):
        return self._ChainStoreBasePlugin__chain_storage


received = {"ok": 0, "bad": 0}


def on_message(client, peer, m):
    try:
        data = json.loads(m.payload)
    except ValueError:
        return
    if not bc.verify(dct_data=data, signature=None, sender_address=None).valid:
        received["bad"] += 1
        return
    received["ok"] += 1
    path = data.get("EE_PAYLOAD_PATH") or [None] * 4
    if path[2] == "CHAIN_STORE_BASE":
        peer.default_handler(data)


client = mqtt.Client(client_id="ref-peer", clean_session=True)
peer = RefPeer(client)
client.user_data_set(peer)
client.on_message = on_message
client.connect("127.0.0.1", int(PORT))
client.subscribe(f"{ROOT}/{bc.address}/payloads", qos=1)
for _ in range(20):
    client.loop(timeout=0.05)


def cli(*args, timeout=40):
    """Run `r1console cstore ...` against our node while the reference keeps pumping."""
    p = subprocess.Popen([R1, "cstore", *args, "--port", NODE_HTTP], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    end = time.time() + timeout
    while p.poll() is None and time.time() < end:
        peer.sleep(0.05)
    out = p.communicate()[0].strip() if p.poll() is not None else "(timeout)"
    return p.returncode, out


def hkey(h, field):
    index = "hs:" + hashlib.sha256(h.encode()).hexdigest()[:10] + ":"
    return index + base64.urlsafe_b64encode(field.encode()).decode()


# 1. the reference writes to our node and waits with its own loop for our SCONFIRM
value = {"a": [1, 2.5, None], "caf\u00e9": True}
t0 = time.time()
ok = peer._set_value("ref:from-python", value, owner=peer.get_instance_path(), peers=[NODE],
                     include_default_peers=False, timeout=10, max_retries=0)
result(ok is True, "the reference's set is confirmed by our node", ok)
result(True, f"in {1000 * (time.time() - t0):.0f} ms (the reference polls every 100 ms)")
rc, out = cli("get", "ref:from-python")
result(rc == 0 and json.loads(out) == value, "our node stores the reference's value", out)

# 2. our node writes to the reference, which applies it and confirms
rc, out = cli("set", "ours:from-c", '{"x": 1, "y": [true, null]}', "--peer", bc.address)
result(rc == 0 and out == "OK", "our set is confirmed by the reference", out)
rec = peer.storage.get("ours:from-c", {})
result(rec.get("value") == {"x": 1, "y": [True, None]}, "the reference stores our value", rec)
result(rec.get("confirms") == -1, "and marks it remote-synced (-1)", rec)
result(isinstance(rec.get("owner"), list) and len(rec["owner"]) == 4 and
       rec["owner"][0] == NODE, "with our owner path", rec.get("owner"))

# 3. hash fields: composed keys agree both ways
rc, out = cli("hset", "players", "\u00e9l\u00e8ve", '{"hp": 3}', "--peer", bc.address)
result(rc == 0, "our hset reaches the reference", out)
result(hkey("players", "\u00e9l\u00e8ve") in peer.storage,
       "under the composed key the reference computes", list(peer.storage))
ok = peer._set_value(hkey("players", "bob"), 7, owner=peer.get_instance_path(), peers=[NODE],
                     include_default_peers=False, timeout=10, max_retries=0)
rc, out = cli("hget", "players", "bob")
result(ok and rc == 0 and out == "7", "a field the reference set is our hget", out)

# 4. hsync both ways
peer.storage[hkey("guild", "master")] = {
    "key": hkey("guild", "master"), "value": "ref", "owner": peer.get_instance_path(),
    "readonly": False, "token": None, "confirms": 0, "min_confirms": 1}
rc, out = cli("hsync", "guild", "--peer", bc.address)
result(rc == 0 and out.startswith("merged 1 field"), "our hsync merges the reference's snapshot", out)
rc, out = cli("hget", "guild", "master")
result(out == '"ref"', "the merged field reads back", out)
res = None
try:
    res = peer._hsync("players", peers=[NODE], include_default_peers=False, timeout=10)
except ValueError as e:
    res = str(e)
result(isinstance(res, dict) and res.get("source_peer") == NODE,
       "the reference's hsync takes our SHSYNC_RESP", res)

# 5. rules enforced on our side for the reference's writes
ok = peer._set_value("ref:ro", "mine", owner=peer.get_instance_path(), readonly=True,
                     peers=[NODE], include_default_peers=False, timeout=10, max_retries=0)
rc, out = cli("set", "ref:ro", '"ours"', "--peer", bc.address)
result(ok and rc == 1 and "readonly" in out, "the reference's readonly key refuses our write", out)

# 6. a delete from the reference
peer._set_value("ref:from-python", None, owner=peer.get_instance_path(), peers=[NODE],
                include_default_peers=False, timeout=10, max_retries=0)
peer.sleep(1.0)
rc, out = cli("get", "ref:from-python")
result(rc == 1, "the reference's delete reaches our node", out)
result(received["bad"] == 0, "every message from our node verified with the SDK", received)
client.disconnect()

"""Go templates as the docker CLI runs them (`docker inspect -f`, `ps`/`network ls`/`images --format`).

DOC is a container's inspect document from dockerd 20.10 (trimmed); every expected output below is what the
docker CLI 28.2.2 printed for that container (`docker inspect -f TEMPLATE`), starting with the examples of
Docker's documentation (docs.docker.com: "Format command and log output" and `docker inspect`).
"""

from __future__ import annotations

import pytest

from labkit.contract import gotemplate, listformat, render
from labkit.contract.gofuncs import Unsupported, typed
from labkit.errors import CommandError

DOC = {'Id': '33e5fd22bcd67bdff84846ce94470122c25d4d215e89b54a7b6ddec9c5f1477e',
 'Path': '/entrypoint.sh',
 'Args': ['sleep', '3000'],
 'State': {'Status': 'running',
           'Running': True,
           'Paused': False,
           'Restarting': False,
           'OOMKilled': False,
           'Dead': False,
           'Pid': 10198,
           'ExitCode': 0,
           'Error': '',
           'StartedAt': '2026-12-01T15:53:39.423085984Z',
           'FinishedAt': '0001-01-01T00:00:00Z'},
 'Image': 'sha256:459ef6b2da5cf6269eab3ac944114ae4266957e358f4ac2901670b1553f69d1c',
 'LogPath': '/var/lib/docker/containers/33e5fd22bcd67bdff84846ce94470122c25d4d215e89b54a7b6ddec9c5f147'
 '7e/33e5fd22bcd67bdff84846ce94470122c25d4d215e89b54a7b6ddec9c5f1477e-json.log',
 'Name': '/hA-doc',
 'RestartCount': 0,
 'HostConfig': {'Binds': None,
                'NetworkMode': 'hA-net',
                'PortBindings': {'80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '18099'}]},
                'RestartPolicy': {'Name': 'no', 'MaximumRetryCount': 0},
                'Links': None,
                'Dns': [],
                'DnsOptions': [],
                'DnsSearch': []},
 'Mounts': [],
 'Config': {'Hostname': '33e5fd22bcd6',
            'Domainname': '',
            'User': 'curl_user',
            'AttachStdin': False,
            'AttachStdout': False,
            'AttachStderr': False,
            'ExposedPorts': {'80/tcp': {}},
            'Tty': False,
            'OpenStdin': False,
            'StdinOnce': False,
            'Env': ['MODE=demo', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
            'Cmd': ['sleep', '3000'],
            'Image': 'curlimages/curl:8.14.1',
            'Volumes': None,
            'WorkingDir': '/home/curl_user',
            'Entrypoint': ['/entrypoint.sh'],
            'OnBuild': None,
            'Labels': {'app': 'web', 'labkit.standin': 'curlimages/curl:8.14.1 from Debian trixie (recipe 1)'}},
 'NetworkSettings': {'Ports': {'80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '18099'}]},
                     'Networks': {'hA-net': {'IPAMConfig': None,
                                             'Links': None,
                                             'Aliases': ['33e5fd22bcd6'],
                                             'NetworkID': '99adf2af8e1680fd4141b56c949827a7c2d737de5053b90cbf18fbe3acf10448',
                                             'EndpointID': '3c187bbefdded0e25f7f60e5961141e738aa57e862b5f507cc0de159a016b3bb',
                                             'Gateway': '172.18.0.1',
                                             'IPAddress': '172.18.0.4',
                                             'IPPrefixLen': 16,
                                             'MacAddress': '02:42:ac:12:00:04'}}}}

# (template, exit code, stdout, stderr) as the docker CLI gave them
CLI_CASES = [('{{join .Args " , "}}', 0, 'sleep , 3000\n', ''),
 ('{{json .Mounts}}', 0, '[]\n', ''),
 ('{{lower .Name}}', 0, '/ha-doc\n', ''),
 ('{{split .Image ":"}}', 0, '[sha256 459ef6b2da5cf6269eab3ac944114ae4266957e358f4ac2901670b1553f69d1c]\n', ''),
 ('{{title .Name}}', 0, '/HA-Doc\n', ''),
 ('{{upper .Name}}', 0, '/HA-DOC\n', ''),
 ('{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}', 0, '172.18.0.4\n\n', ''),
 ('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 0, '172.18.0.4\n', ''),
 ('{{range .NetworkSettings.Networks}}{{.MacAddress}}{{end}}', 0, '02:42:ac:12:00:04\n', ''),
 ('{{.LogPath}}',
  0,
  '/var/lib/docker/containers/33e5fd22bcd67bdff84846ce94470122c25d4d215e89b54a7b6ddec9c5f1477e/33e5fd22'
  'bcd67bdff84846ce94470122c25d4d215e89b54a7b6ddec9c5f1477e-json.log\n',
  ''),
 ('{{.Config.Image}}', 0, 'curlimages/curl:8.14.1\n', ''),
 ('{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}',
  0,
  ' 80/tcp -> 18099 \n',
  ''),
 ('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', 0, '18099\n', ''),
 ('{{json .Config}}',
  0,
  '{"Hostname":"33e5fd22bcd6","Domainname":"","User":"curl_user","AttachStdin":false,"AttachStdout":fal'
  'se,"AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false'
  ',"Env":["MODE=demo","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sle'
  'ep","3000"],"Image":"curlimages/curl:8.14.1","Volumes":null,"WorkingDir":"/home/curl_user","Entrypoi'
  'nt":["/entrypoint.sh"],"OnBuild":null,"Labels":{"app":"web","labkit.standin":"curlimages/curl:8.14.1'
  ' '
  'from Debian trixie (recipe 1)"}}\n',
  ''),
 ('{{.Config.Env}}', 0, '[MODE=demo PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin]\n', ''),
 ('{{.Config.Labels}}',
  0,
  'map[app:web labkit.standin:curlimages/curl:8.14.1 from Debian trixie (recipe 1)]\n',
  ''),
 ('{{.Config.Labels.app}}|{{.Config.Labels.nope}}|{{index .Config.Labels "nope"}}', 0, 'web|<no value>|\n', ''),
 ('{{.NetworkSettings.Ports}}', 0, 'map[80/tcp:[{127.0.0.1 18099}]]\n', ''),
 ('{{.Config.ExposedPorts}}', 0, 'map[80/tcp:{}]\n', ''),
 ('{{.HostConfig.Links}} {{.HostConfig.Binds}} {{.HostConfig.Dns}}', 0, '<no value> <no value> []\n', ''),
 ('{{.State.Running}} {{.State.Pid | printf "%d"}} {{len .Config.Env}} {{len .Name}}', 0, 'true 10198 2 7\n', ''),
 ('{{if eq .State.Status "running"}}up{{else}}down{{end}}', 0, 'up\n', ''),
 ('{{with .Config.Labels.app}}app={{.}}{{end}}{{with .Config.Labels.nope}}x{{else}}-{{end}}', 0, 'app=web-\n', ''),
 ('{{range $k, $v := .Config.Labels}}{{$k}};{{end}}', 0, 'app;labkit.standin;\n', ''),
 ('{{range .HostConfig.Links}}x{{else}}no links{{end}}', 0, 'no links\n', ''),
 ('{{printf "%5s|%-4d|%q|%v|%x" "ab" 3 "q" .Config.Cmd 255}}', 0, '   ab|3   |"q"|[sleep 3000]|ff\n', ''),
 ('{{printf "%d" .Name}} {{printf "%v %v" 1}} {{print 1 2 "x" 3}}',
  0,
  '%!d(string=/hA-doc) 1 %!v(MISSING) 1 2x3\n',
  ''),
 ('{{truncate .Name 4}}|{{pad "x" 1 2}}|{{json .Config.Cmd}}', 0, '/hA-| x  |["sleep","3000"]\n', ''),
 ('{{- "  a  " -}}  {{/* c */}}  {{- "b"}}', 0, '  a  b\n', ''),
 ("{{$n := .Name}}{{$n}} {{$.Name}} {{1.5}} {{1e3}} {{0x10}} {{-3}} {{'a'}}",
  0,
  '/hA-doc /hA-doc 1.5 1000 16 -3 97\n',
  ''),
 ('{{slice .Name 1 3}} {{html "<a>"}} {{js "x\'"}} {{urlquery "a b"}} {{print nil}}',
  0,
  "hA &lt;a&gt; x\\' a+b <nil>\n",
  ''),
 ('{{and 1 0}} {{or 0 "x"}} {{not true}} {{ne 1 2}} {{lt 1 2}} {{ge "b" "a"}}',
  0,
  '0 x false true true true\n',
  ''),
 ('{{.Foo}}',
  1,
  '\n',
  'template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"\n'),
 ('{{.Config.Foo}}',
  1,
  '\n',
  'template parsing error: template: :1:9: executing "" at <.Config.Foo>: map has no entry for key "Foo"\n'),
 ('{{.State.Health.Status}}',
  1,
  '\n',
  'template parsing error: template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key '
  '"Health"\n'),
 ('{{.Config.Cmd.Foo}}',
  1,
  '\n',
  'template parsing error: template: :1:9: executing "" at <.Config.Cmd.Foo>: can\'t evaluate field Foo in type '
  'interface {}\n'),
 ('{{.HostConfig.Links.Foo}}',
  1,
  '\n',
  'template parsing error: template: :1:13: executing "" at <.HostConfig.Links.Foo>: nil pointer evaluating '
  'interface {}.Foo\n'),
 ('{{index .Config.Cmd 5}}',
  1,
  '\n',
  'template parsing error: template: :1:2: executing "" at <index .Config.Cmd 5>: error calling index: index out '
  'of range: 5\n'),
 ('{{index .Config.Labels 5}}',
  1,
  '\n',
  'template parsing error: template: :1:2: executing "" at <index .Config.Labels 5>: error calling index: value '
  'has type int; should be string\n'),
 ('{{"a" | .Name}}',
  1,
  '\n',
  'template parsing error: template: :1:8: executing "" at <.Name>: Name is not a method but has arguments\n'),
 ('{{nil}}', 1, '\n', 'template parsing error: template: :1:2: executing "" at <nil>: nil is not a command\n'),
 ('{{join .Config.Env}}',
  1,
  '\n',
  'template parsing error: template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1\n'),
 ('{{.Id | truncate 5}}',
  1,
  '\n',
  'template parsing error: template: :1:17: executing "" at <5>: expected string; found 5\n'),
 ('{{ {{', 64, '', 'template parsing error: template: :1: unexpected "{" in command\n'),
 ('{{.Name', 64, '', 'template parsing error: template: :1: unclosed action\n'),
 ('{{foo}}', 64, '', 'template parsing error: template: :1: function "foo" not defined\n'),
 ('{{$y}}', 64, '', 'template parsing error: template: :1: undefined variable "$y"\n'),
 ('{{else}}', 64, '', 'template parsing error: template: :1: unexpected {{else}}\n'),
 ('{{end}}', 64, '', 'template parsing error: template: :1: unexpected {{end}}\n'),
 ('{{if .Name}}x', 64, '', 'template parsing error: template: :1: unexpected EOF\n'),
 ('{{.NetworkSettings.Networks.hA-net.IPAddress}}',
  64,
  '',
  "template parsing error: template: :1: bad character U+002D '-'\n"),
 ('{{range .Name}}{{end}}',
  1,
  '\n',
  'template parsing error: template: :1:8: executing "" at <.Name>: range can\'t iterate over /hA-doc\n'),
 ('{{.State.Pid}} {{.HostConfig.Dns}} {{printf "%d" .State.Pid}} {{.Config}}',
  0,
  '10198 [] %!d(json.Number=10198) map[AttachStderr:false AttachStdin:false AttachStdout:false Cmd:[sleep 3000] '
  'Domainname: Entrypoint:[/entrypoint.sh] Env:[MODE=demo '
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin] ExposedPorts:map[80/tcp:map[]] '
  'Hostname:33e5fd22bcd6 Image:curlimages/curl:8.14.1 Labels:map[app:web labkit.standin:curlimages/curl:8.14.1 '
  'from Debian trixie (recipe 1)] OnBuild:<nil> OpenStdin:false StdinOnce:false Tty:false User:curl_user '
  'Volumes:<nil> WorkingDir:/home/curl_user]\n',
  ''),
 ('{{.HostConfig.Dns}}{{.NetworkSettings.Ports}}', 0, '[]map[80/tcp:[map[HostIp:127.0.0.1 HostPort:18099]]]\n', ''),
 ('{{.HostConfig.Dns}}{{eq .State.Pid 5}}',
  1,
  '\n',
  'template parsing error: template: :1:21: executing "" at <eq .State.Pid 5>: error calling eq: incompatible '
  'types for comparison\n'),
 ('{{.HostConfig.DnsOptions}} {{.HostConfig.DnsSearch}} {{.State}}',
  0,
  '[] [] map[Dead:false Error: ExitCode:0 FinishedAt:0001-01-01T00:00:00Z OOMKilled:false Paused:false Pid:10198 '
  'Restarting:false Running:true StartedAt:2026-12-01T15:53:39.423085984Z Status:running]\n',
  ''),
 ('{{.HostConfig.Dns}} {{.State}} {{len .State.Pid}} {{.HostConfig.Links}} {{print .HostConfig.Links}} {{json '
  '.State.Pid}}',
  0,
  '[] map[Dead:false Error: ExitCode:0 FinishedAt:0001-01-01T00:00:00Z OOMKilled:false Paused:false Pid:10198 '
  'Restarting:false Running:true StartedAt:2026-12-01T15:53:39.423085984Z Status:running] 5 <no value> <nil> '
  '10198\n',
  '')]


def inspect_f(template: str, docs: list | None = None) -> tuple[int, str, str]:
    """What `docker inspect -f TEMPLATE` prints for DOC, through labkit's renderer: (exit code, stdout, stderr)."""
    try:
        out, errors = render.inspect_formatted(template, docs if docs is not None else [DOC])
    except CommandError as err:
        return err.exit_code, err.stdout, err.stderr
    return (1 if errors else 0), out, "".join(e + "\n" for e in errors)


@pytest.mark.parametrize(("template", "code", "stdout", "stderr"), CLI_CASES, ids=[c[0][:40] for c in CLI_CASES])
def test_inspect_template_as_the_cli(template, code, stdout, stderr):
    assert inspect_f(template) == (code, stdout, stderr)


def test_several_objects_and_missing_ones_print_in_order():
    # docker inspect -f '{{.Name}}' a nope b: both names, then the lookup error; nothing printed at all: one empty line
    assert inspect_f("{{.Name}}", [DOC, "Error: No such object: nope", DOC]) == (
        1, "/hA-doc\n/hA-doc\n", "Error: No such object: nope\n")
    assert inspect_f("{{.Name}}", ["Error: No such object: nope"]) == (1, "\n", "Error: No such object: nope\n")
    assert inspect_f("{{.Foo}}", [DOC, DOC])[:2] == (1, "\n")


@pytest.mark.parametrize("template", ["{{.NetworkSettings.Networks}}", "{{.State}}", "{{.HostConfig.RestartPolicy}}",
                                      '{{define "x"}}a{{end}}', "{{range .Config.Cmd}}{{break}}{{end}}"])
def test_what_labkit_does_not_imitate_says_so_in_one_line(template):
    code, out, err = inspect_f(template)
    assert (code, out) == (125, "")
    assert err.startswith("labkit: ") and err.count("\n") == 1 and "Traceback" not in err


def test_go_value_printing():
    t = gotemplate.parse("{{.}}")
    assert [t.execute(v) for v in (True, 3, 1.5, 1e21, None, ["a", "b"], [])] == [
        "true", "3", "1.5", "1e+21", "<nil>", "[a b]", "[]"]
    assert t.execute(typed({"Labels": {"b": "2", "a": "1"}})["Labels"]) == "map[a:1 b:2]"


# -- docker ps / network ls / images --format ------------------------------------------------------------
CONTAINER = {"Id": "5a717f33873167723bf0206c7b13193b5b2d3f9bb21906a87d55f5ae051773b0", "Names": ["/hA-c1"],
             "Image": "curlimages/curl:8.14.1", "ImageID": "sha256:459ef6b2da5c", "Command": "/entrypoint.sh sleep 3000",
             "Created": 0, "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 18081, "Type": "tcp"}],
             "Labels": {"k": "v"}, "State": "running", "Status": "Up 37 seconds", "Mounts": [],
             "NetworkSettings": {"Networks": {"hA-net": {"NetworkID": "99adf2af8e16"}}}}
NETWORK = {"Name": "hA-net", "Id": "99adf2af8e1680fd4141b56c949827a7c2d737de5053b90cbf18fbe3acf10448",
           "Created": "2026-12-01T15:38:52.991593077Z", "Scope": "local", "Driver": "bridge", "EnableIPv6": False,
           "Internal": False, "Labels": {"a": "b", "x.y": "z"}}


def ps(fmt: str, quiet: bool = False, trunc: bool = True) -> str:
    return render.ps_output([CONTAINER], quiet, fmt, trunc)


def test_ps_placeholders_and_table_header_as_the_cli():
    # docker ps --format '...' (CLI 28.2.2 on the same container)
    assert ps('{{.ID}}|{{.Image}}|{{.Command}}|{{.Ports}}|{{.State}}|{{.Names}}|{{.Label "k"}}|{{.Networks}}') == (
        '5a717f338731|curlimages/curl:8.14.1|"/entrypoint.sh slee…"|0.0.0.0:18081->80/tcp|running|hA-c1|v|hA-net\n')
    assert ps('table {{.Names}}\\t{{.Label "x.my-key_y"}}\\t{{.Networks}}|{{pad .State 1 1}}|{{upper .Names}}') == (
        "NAMES     my key y   NETWORKS| STATE |NAMES\nhA-c1                hA-net| running |HA-C1\n")
    assert ps("tablex{{.Names}}") == "xNAMES\nxhA-c1\n"
    assert ps("  table   {{.Names}}  ") == "table   hA-c1\n"
    assert ps("{{.ID}}", trunc=False) == CONTAINER["Id"] + "\n"
    assert ps("table {{.Names}}", quiet=True) == "5a717f338731\n"


def test_ps_template_errors_use_the_cli_words():
    with pytest.raises(CommandError) as err:
        ps("{{.Foo}}")
    assert (err.value.exit_code, err.value.stderr) == (1, 'failed to execute template: template: :1:2: executing "" '
                                                          "at <.Foo>: can't evaluate field Foo in type "
                                                          "*formatter.ContainerContext\n")
    with pytest.raises(CommandError) as err:
        ps("{{foo}}")
    assert err.value.stderr == 'failed to parse template: template: :1: function "foo" not defined\n'


def test_network_ls_format_as_the_cli():
    out = render.network_output([NETWORK], False, 'table {{.ID}}\\t{{.Name}}\\t{{.IPv6}}\\t{{.Label "a"}}\\t'
                                                  "{{.CreatedAt}}")
    assert out == ("NETWORK ID     NAME      IPV6      a         CREATED AT\n"
                   "99adf2af8e16   hA-net    false     b         2026-12-01 15:38:52.991593077 +0000 UTC\n")
    assert render.network_output([NETWORK], False, "json") == (
        '{"CreatedAt":"2026-12-01 15:38:52.991593077 +0000 UTC","Driver":"bridge","ID":"99adf2af8e16",'
        '"IPv4":"false","IPv6":"false","Internal":"false","Labels":"a=b,x.y=z","Name":"hA-net","Scope":"local"}\n')
    assert render.network_output([NETWORK], True, "{{.Name}}") == "hA-net\n"  # a custom format wins over -q
    with pytest.raises(CommandError) as err:
        render.network_output([NETWORK], False, "{{.Names}}")
    assert err.value.stderr == ('template parsing error: template: :1:2: executing "" at <.Names>: can\'t evaluate '
                                "field Names in type *network.networkContext\n")


def test_ps_size_is_said_not_imitated():
    with pytest.raises(CommandError) as err:
        ps("{{.Size}}")
    assert err.value.exit_code == 125 and err.value.stderr.startswith("labkit: ")
    assert '"Size":"0B"' in ps("json")  # --format json asks no sizes, as the CLI


def test_tabwriter_pads_every_tab_terminated_cell():
    assert listformat.tabwrite("NAMES\tPORTS\nhA-c3\t\nhA-c1\t0.0.0.0:1->2/tcp\n") == (
        "NAMES     PORTS\nhA-c3     \nhA-c1     0.0.0.0:1->2/tcp\n")


def test_unsupported_is_an_exception_not_a_traceback():
    with pytest.raises(Unsupported):
        gotemplate.parse("{{.}}").execute({"A": {"B": 1}})


def test_inspect_format_json_is_the_documents_in_one_compact_array():
    # docker inspect -f json a nope (CLI 28): the found documents, compact and HTML-escaped as dockerd writes them
    code, out, err = inspect_f("json", [{"Name": "/a", "Cmd": ["a<b"]}, "Error: No such object: nope"])
    assert (code, out, err) == (1, '[{"Name":"/a","Cmd":["a\\u003cb"]}]\n', "Error: No such object: nope\n")

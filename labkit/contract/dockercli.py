"""The real docker CLI 28.2.2's commands and flags, so labkit can tell a typo from a command it does not implement.

Generated from `docker --help`, `docker GROUP --help` and `docker COMMAND --help` of the docker CLI 28.2.2 on the
course machine: TOP lists the top-level commands, GROUPS the subcommands of each management command, FLAGS each
command's flags ("-s/--long=" takes a value; "--long" is a switch). labkit answers a word that is none of these as
the CLI does ("unknown command", "unknown flag"), and one that is a real command or flag outside the course's
subset in its own words (`labkit does not implement ...`, exit 125).
"""

from __future__ import annotations

from labkit.errors import CommandError

TOP = (
    'run exec ps build pull push images login logout search version info builder container context image '
    'manifest network plugin system trust volume config node secret service stack swarm attach commit cp '
    'create diff events export history import inspect kill load logs pause port rename restart rm rmi '
    'save start stats stop tag top unpause update wait'
).split()
GROUPS: dict[str, list[str]] = {k: v.split() for k, v in {
    'builder': 'build prune',
    'container': (
        'attach commit cp create diff exec export inspect kill logs ls pause port prune rename restart rm '
        'run start stats stop top unpause update wait'
    ),
    'context': 'create export import inspect ls rm show update use',
    'image': 'build history import inspect load ls prune pull push rm save tag',
    'manifest': 'annotate create inspect push rm',
    'network': 'connect create disconnect inspect ls prune rm',
    'plugin': 'create disable enable inspect install ls push rm set upgrade',
    'system': 'df events info prune',
    'trust': 'inspect revoke sign',
    'volume': 'create inspect ls prune rm',
    'config': 'create inspect ls rm',
    'node': 'demote inspect ls promote ps rm update',
    'secret': 'create inspect ls rm',
    'service': 'create inspect logs ls ps rm rollback scale update',
    'stack': 'config deploy ls ps rm services',
    'swarm': 'ca init join join-token leave unlock unlock-key update',
}.items()}
_FLAGS: dict[str, str] = {
    'run': (
        '--add-host= -a/--attach= --blkio-weight= --blkio-weight-device= --cap-add= --cap-drop= --cgroup- '
        'parent= --cgroupns= --cidfile= --cpu-period= --cpu-quota= --cpu-rt-period= --cpu-rt-runtime= '
        '-c/--cpu-shares= --cpus= --cpuset-cpus= --cpuset-mems= -d/--detach --detach-keys= --device= '
        '--device-cgroup-rule= --device-read-bps= --device-read-iops= --device-write-bps= --device-write- '
        'iops= --disable-content-trust --dns= --dns-option= --dns-search= --domainname= --entrypoint= '
        '-e/--env= --env-file= --expose= --gpus= --group-add= --health-cmd= --health-interval= --health- '
        'retries= --health-start-period= --health-timeout= -h/--hostname= --init -i/--interactive --ip= '
        '--ip6= --ipc= --isolation= --kernel-memory= -l/--label= --label-file= --link= --link-local-ip= '
        '--log-driver= --log-opt= --mac-address= -m/--memory= --memory-reservation= --memory-swap= '
        '--memory-swappiness= --mount= --name= --network= --network-alias= --no-healthcheck --oom-kill- '
        'disable --oom-score-adj= --pid= --pids-limit= --platform= --privileged -p/--publish= '
        '-P/--publish-all --pull= -q/--quiet --read-only --restart= --rm --runtime= --security-opt= '
        '--shm-size= --sig-proxy --stop-signal= --stop-timeout= --storage-opt= --sysctl= --tmpfs= '
        '-t/--tty --ulimit= --use-api-socket -u/--user= --userns= --uts= -v/--volume= --volume-driver= '
        '--volumes-from= -w/--workdir='
    ),
    'exec': (
        '-d/--detach --detach-keys= -e/--env= --env-file= -i/--interactive --privileged -t/--tty '
        '-u/--user= -w/--workdir='
    ),
    'ps': '-a/--all -f/--filter= --format= -n/--last= -l/--latest --no-trunc -q/--quiet -s/--size',
    'build': (
        '--add-host= --build-arg= --cache-from= --cgroup-parent= --compress --cpu-period= --cpu-quota= '
        '-c/--cpu-shares= --cpuset-cpus= --cpuset-mems= --disable-content-trust -f/--file= --force-rm '
        '--iidfile= --isolation= --label= -m/--memory= --memory-swap= --network= --no-cache --platform= '
        '--pull -q/--quiet --rm --security-opt= --shm-size= -t/--tag= --target= --ulimit='
    ),
    'pull': '-a/--all-tags --disable-content-trust --platform= -q/--quiet',
    'push': '-a/--all-tags --disable-content-trust -q/--quiet',
    'images': '-a/--all --digests -f/--filter= --format= --no-trunc -q/--quiet',
    'login': '-p/--password= --password-stdin -u/--username=',
    'logout': '',
    'search': '-f/--filter= --format= --limit= --no-trunc',
    'version': '-f/--format=',
    'info': '-f/--format=',
    'builder build': (
        '--add-host= --build-arg= --cache-from= --cgroup-parent= --compress --cpu-period= --cpu-quota= '
        '-c/--cpu-shares= --cpuset-cpus= --cpuset-mems= --disable-content-trust -f/--file= --force-rm '
        '--iidfile= --isolation= --label= -m/--memory= --memory-swap= --network= --no-cache --platform= '
        '--pull -q/--quiet --rm --security-opt= --shm-size= -t/--tag= --target= --ulimit='
    ),
    'builder prune': '-a/--all --filter= -f/--force --keep-storage=',
    'container attach': '--detach-keys= --no-stdin --sig-proxy',
    'container commit': '-a/--author= -c/--change= -m/--message= -p/--pause',
    'container cp': '-a/--archive -L/--follow-link -q/--quiet',
    'container create': (
        '--add-host= -a/--attach= --blkio-weight= --blkio-weight-device= --cap-add= --cap-drop= --cgroup- '
        'parent= --cgroupns= --cidfile= --cpu-period= --cpu-quota= --cpu-rt-period= --cpu-rt-runtime= '
        '-c/--cpu-shares= --cpus= --cpuset-cpus= --cpuset-mems= --device= --device-cgroup-rule= --device- '
        'read-bps= --device-read-iops= --device-write-bps= --device-write-iops= --disable-content-trust '
        '--dns= --dns-option= --dns-search= --domainname= --entrypoint= -e/--env= --env-file= --expose= '
        '--gpus= --group-add= --health-cmd= --health-interval= --health-retries= --health-start-period= '
        '--health-timeout= -h/--hostname= --init -i/--interactive --ip= --ip6= --ipc= --isolation= '
        '--kernel-memory= -l/--label= --label-file= --link= --link-local-ip= --log-driver= --log-opt= '
        '--mac-address= -m/--memory= --memory-reservation= --memory-swap= --memory-swappiness= --mount= '
        '--name= --network= --network-alias= --no-healthcheck --oom-kill-disable --oom-score-adj= --pid= '
        '--pids-limit= --platform= --privileged -p/--publish= -P/--publish-all --pull= -q/--quiet --read- '
        'only --restart= --rm --runtime= --security-opt= --shm-size= --stop-signal= --stop-timeout= '
        '--storage-opt= --sysctl= --tmpfs= -t/--tty --ulimit= --use-api-socket -u/--user= --userns= '
        '--uts= -v/--volume= --volume-driver= --volumes-from= -w/--workdir='
    ),
    'container diff': '',
    'container exec': (
        '-d/--detach --detach-keys= -e/--env= --env-file= -i/--interactive --privileged -t/--tty '
        '-u/--user= -w/--workdir='
    ),
    'container export': '-o/--output=',
    'container inspect': '-f/--format= -s/--size',
    'container kill': '-s/--signal=',
    'container logs': '--details -f/--follow --since= -n/--tail= -t/--timestamps --until=',
    'container ls': '-a/--all -f/--filter= --format= -n/--last= -l/--latest --no-trunc -q/--quiet -s/--size',
    'container pause': '',
    'container port': '',
    'container prune': '--filter= -f/--force',
    'container rename': '',
    'container restart': '-s/--signal= -t/--timeout=',
    'container rm': '-f/--force -l/--link -v/--volumes',
    'container run': (
        '--add-host= -a/--attach= --blkio-weight= --blkio-weight-device= --cap-add= --cap-drop= --cgroup- '
        'parent= --cgroupns= --cidfile= --cpu-period= --cpu-quota= --cpu-rt-period= --cpu-rt-runtime= '
        '-c/--cpu-shares= --cpus= --cpuset-cpus= --cpuset-mems= -d/--detach --detach-keys= --device= '
        '--device-cgroup-rule= --device-read-bps= --device-read-iops= --device-write-bps= --device-write- '
        'iops= --disable-content-trust --dns= --dns-option= --dns-search= --domainname= --entrypoint= '
        '-e/--env= --env-file= --expose= --gpus= --group-add= --health-cmd= --health-interval= --health- '
        'retries= --health-start-period= --health-timeout= -h/--hostname= --init -i/--interactive --ip= '
        '--ip6= --ipc= --isolation= --kernel-memory= -l/--label= --label-file= --link= --link-local-ip= '
        '--log-driver= --log-opt= --mac-address= -m/--memory= --memory-reservation= --memory-swap= '
        '--memory-swappiness= --mount= --name= --network= --network-alias= --no-healthcheck --oom-kill- '
        'disable --oom-score-adj= --pid= --pids-limit= --platform= --privileged -p/--publish= '
        '-P/--publish-all --pull= -q/--quiet --read-only --restart= --rm --runtime= --security-opt= '
        '--shm-size= --sig-proxy --stop-signal= --stop-timeout= --storage-opt= --sysctl= --tmpfs= '
        '-t/--tty --ulimit= --use-api-socket -u/--user= --userns= --uts= -v/--volume= --volume-driver= '
        '--volumes-from= -w/--workdir='
    ),
    'container start': '-a/--attach --detach-keys= -i/--interactive',
    'container stats': '-a/--all --format= --no-stream --no-trunc',
    'container stop': '-s/--signal= -t/--timeout=',
    'container top': '',
    'container unpause': '',
    'container update': (
        '--blkio-weight= --cpu-period= --cpu-quota= --cpu-rt-period= --cpu-rt-runtime= -c/--cpu-shares= '
        '--cpus= --cpuset-cpus= --cpuset-mems= -m/--memory= --memory-reservation= --memory-swap= --pids- '
        'limit= --restart='
    ),
    'container wait': '',
    'context create': '--description= --docker= --from=',
    'context export': '',
    'context import': '',
    'context inspect': '-f/--format=',
    'context ls': '--format= -q/--quiet',
    'context rm': '-f/--force',
    'context show': '',
    'context update': '--description= --docker=',
    'context use': '',
    'image build': (
        '--add-host= --build-arg= --cache-from= --cgroup-parent= --compress --cpu-period= --cpu-quota= '
        '-c/--cpu-shares= --cpuset-cpus= --cpuset-mems= --disable-content-trust -f/--file= --force-rm '
        '--iidfile= --isolation= --label= -m/--memory= --memory-swap= --network= --no-cache --platform= '
        '--pull -q/--quiet --rm --security-opt= --shm-size= -t/--tag= --target= --ulimit='
    ),
    'image history': '--format= -H/--human --no-trunc -q/--quiet',
    'image import': '-c/--change= -m/--message= --platform=',
    'image inspect': '-f/--format=',
    'image load': '-i/--input= -q/--quiet',
    'image ls': '-a/--all --digests -f/--filter= --format= --no-trunc -q/--quiet',
    'image prune': '-a/--all --filter= -f/--force',
    'image pull': '-a/--all-tags --disable-content-trust --platform= -q/--quiet',
    'image push': '-a/--all-tags --disable-content-trust -q/--quiet',
    'image rm': '-f/--force --no-prune',
    'image save': '-o/--output=',
    'image tag': '',
    'manifest annotate': '--arch= --os= --os-features= --os-version= --variant=',
    'manifest create': '-a/--amend --insecure',
    'manifest inspect': '--insecure -v/--verbose',
    'manifest push': '--insecure -p/--purge',
    'manifest rm': '',
    'network connect': '--alias= --driver-opt= --gw-priority= --ip= --ip6= --link= --link-local-ip=',
    'network create': (
        '--attachable --aux-address= --config-from= --config-only -d/--driver= --gateway= --ingress '
        '--internal --ip-range= --ipam-driver= --ipam-opt= --ipv4 --ipv6 --label= -o/--opt= --scope= '
        '--subnet='
    ),
    'network disconnect': '-f/--force',
    'network inspect': '-f/--format= -v/--verbose',
    'network ls': '-f/--filter= --format= --no-trunc -q/--quiet',
    'network prune': '--filter= -f/--force',
    'network rm': '-f/--force',
    'plugin create': '--compress',
    'plugin disable': '-f/--force',
    'plugin enable': '--timeout=',
    'plugin inspect': '-f/--format=',
    'plugin install': '--alias= --disable --disable-content-trust --grant-all-permissions',
    'plugin ls': '-f/--filter= --format= --no-trunc -q/--quiet',
    'plugin push': '--disable-content-trust',
    'plugin rm': '-f/--force',
    'plugin set': '',
    'plugin upgrade': '--disable-content-trust --grant-all-permissions --skip-remote-check',
    'system df': '--format= -v/--verbose',
    'system events': '-f/--filter= --format= --since= --until=',
    'system info': '-f/--format=',
    'system prune': '-a/--all --filter= -f/--force --volumes',
    'trust inspect': '--pretty',
    'trust revoke': '-y/--yes',
    'trust sign': '--local',
    'volume create': '-d/--driver= --label= -o/--opt=',
    'volume inspect': '-f/--format=',
    'volume ls': '-f/--filter= --format= -q/--quiet',
    'volume prune': '--filter= -f/--force',
    'volume rm': '-f/--force',
    'config create': '-l/--label= --template-driver=',
    'config inspect': '-f/--format= --pretty',
    'config ls': '-f/--filter= --format= -q/--quiet',
    'config rm': '',
    'node demote': '',
    'node inspect': '-f/--format= --pretty',
    'node ls': '-f/--filter= --format= -q/--quiet',
    'node promote': '',
    'node ps': '-f/--filter= --format= --no-resolve --no-trunc -q/--quiet',
    'node rm': '-f/--force',
    'node update': '--availability= --label-add= --label-rm= --role=',
    'secret create': '-d/--driver= -l/--label= --template-driver=',
    'secret inspect': '-f/--format= --pretty',
    'secret ls': '-f/--filter= --format= -q/--quiet',
    'secret rm': '',
    'service create': (
        '--cap-add= --cap-drop= --config= --constraint= --container-label= --credential-spec= -d/--detach '
        '--dns= --dns-option= --dns-search= --endpoint-mode= --entrypoint= -e/--env= --env-file= '
        '--generic-resource= --group= --health-cmd= --health-interval= --health-retries= --health-start- '
        'period= --health-timeout= --host= --hostname= --init --isolation= -l/--label= --limit-cpu= '
        '--limit-memory= --limit-pids= --log-driver= --log-opt= --max-concurrent= --replicas --mode= '
        '--mount= --name= --network= --no-healthcheck --no-resolve-image --placement-pref= -p/--publish= '
        '-q/--quiet --read-only --replicas= --replicas-max-per-node= --reserve-cpu= --reserve-memory= '
        '--restart-condition= --restart-delay= --restart-max-attempts= --restart-window= --rollback- '
        'delay= --rollback-failure-action= --rollback-max-failure-ratio= --rollback-monitor= --rollback- '
        'order= --rollback-parallelism= --secret= --stop-grace-period= --stop-signal= --sysctl= -t/--tty '
        '--ulimit= --update-delay= --update-failure-action= --update-max-failure-ratio= --update-monitor= '
        '--update-order= --update-parallelism= -u/--user= --with-registry-auth -w/--workdir='
    ),
    'service inspect': '-f/--format= --pretty',
    'service logs': (
        '--details -f/--follow --no-resolve --no-task-ids --no-trunc --raw --since= -n/--tail= '
        '-t/--timestamps'
    ),
    'service ls': '-f/--filter= --format= -q/--quiet',
    'service ps': '-f/--filter= --format= --no-resolve --no-trunc -q/--quiet',
    'service rm': '',
    'service rollback': '-d/--detach -q/--quiet',
    'service scale': '-d/--detach',
    'service update': (
        '--args= --cap-add= --cap-drop= --config-add= --config-rm= --constraint-add= --constraint-rm= '
        '--container-label-add= --container-label-rm= --credential-spec= -d/--detach --dns-add= --dns- '
        'option-add= --dns-option-rm= --dns-rm= --dns-search-add= --dns-search-rm= --endpoint-mode= '
        '--entrypoint= --env-add= --env-rm= --force --generic-resource-add= --generic-resource-rm= '
        '--group-add= --group-rm= --health-cmd= --health-interval= --health-retries= --health-start- '
        'period= --health-timeout= --host-add= --host-rm= --hostname= --image= --init --isolation= '
        '--label-add= --label-rm= --limit-cpu= --limit-memory= --limit-pids= --log-driver= --log-opt= '
        '--max-concurrent= --replicas --mount-add= --mount-rm= --network-add= --network-rm= --no- '
        'healthcheck --no-resolve-image --placement-pref-add= --placement-pref-rm= --publish-add= '
        '--publish-rm= -q/--quiet --read-only --replicas= --replicas-max-per-node= --reserve-cpu= '
        '--reserve-memory= --restart-condition= --restart-delay= --restart-max-attempts= --restart- '
        'window= --rollback --rollback-delay= --rollback-failure-action= --rollback-max-failure-ratio= '
        '--rollback-monitor= --rollback-order= --rollback-parallelism= --secret-add= --secret-rm= --stop- '
        'grace-period= --stop-signal= --sysctl-add= --sysctl-rm= -t/--tty --ulimit-add= --ulimit-rm= '
        '--update-delay= --update-failure-action= --update-max-failure-ratio= --update-monitor= --update- '
        'order= --update-parallelism= -u/--user= --with-registry-auth -w/--workdir='
    ),
    'stack config': '-c/--compose-file= --skip-interpolation',
    'stack deploy': '-c/--compose-file= -d/--detach --prune -q/--quiet --resolve-image= --with-registry-auth',
    'stack ls': '--format=',
    'stack ps': '-f/--filter= --format= --no-resolve --no-trunc -q/--quiet',
    'stack rm': '-d/--detach',
    'stack services': '-f/--filter= --format= -q/--quiet',
    'swarm ca': '--ca-cert= --ca-key= --cert-expiry= -d/--detach --external-ca= -q/--quiet --rotate',
    'swarm init': (
        '--advertise-addr= --autolock --availability= --cert-expiry= --data-path-addr= --data-path-port= '
        '--default-addr-pool= --default-addr-pool-mask-length= --dispatcher-heartbeat= --external-ca= '
        '--force-new-cluster --listen-addr= --max-snapshots= --snapshot-interval= --task-history-limit='
    ),
    'swarm join': '--advertise-addr= --availability= --data-path-addr= --listen-addr= --token=',
    'swarm join-token': '-q/--quiet --rotate',
    'swarm leave': '-f/--force',
    'swarm unlock': '',
    'swarm unlock-key': '-q/--quiet --rotate',
    'swarm update': (
        '--autolock --cert-expiry= --dispatcher-heartbeat= --external-ca= --max-snapshots= --snapshot- '
        'interval= --task-history-limit='
    ),
    'attach': '--detach-keys= --no-stdin --sig-proxy',
    'commit': '-a/--author= -c/--change= -m/--message= -p/--pause',
    'cp': '-a/--archive -L/--follow-link -q/--quiet',
    'create': (
        '--add-host= -a/--attach= --blkio-weight= --blkio-weight-device= --cap-add= --cap-drop= --cgroup- '
        'parent= --cgroupns= --cidfile= --cpu-period= --cpu-quota= --cpu-rt-period= --cpu-rt-runtime= '
        '-c/--cpu-shares= --cpus= --cpuset-cpus= --cpuset-mems= --device= --device-cgroup-rule= --device- '
        'read-bps= --device-read-iops= --device-write-bps= --device-write-iops= --disable-content-trust '
        '--dns= --dns-option= --dns-search= --domainname= --entrypoint= -e/--env= --env-file= --expose= '
        '--gpus= --group-add= --health-cmd= --health-interval= --health-retries= --health-start-period= '
        '--health-timeout= -h/--hostname= --init -i/--interactive --ip= --ip6= --ipc= --isolation= '
        '--kernel-memory= -l/--label= --label-file= --link= --link-local-ip= --log-driver= --log-opt= '
        '--mac-address= -m/--memory= --memory-reservation= --memory-swap= --memory-swappiness= --mount= '
        '--name= --network= --network-alias= --no-healthcheck --oom-kill-disable --oom-score-adj= --pid= '
        '--pids-limit= --platform= --privileged -p/--publish= -P/--publish-all --pull= -q/--quiet --read- '
        'only --restart= --rm --runtime= --security-opt= --shm-size= --stop-signal= --stop-timeout= '
        '--storage-opt= --sysctl= --tmpfs= -t/--tty --ulimit= --use-api-socket -u/--user= --userns= '
        '--uts= -v/--volume= --volume-driver= --volumes-from= -w/--workdir='
    ),
    'diff': '',
    'events': '-f/--filter= --format= --since= --until=',
    'export': '-o/--output=',
    'history': '--format= -H/--human --no-trunc -q/--quiet',
    'import': '-c/--change= -m/--message= --platform=',
    'inspect': '-f/--format= -s/--size --type=',
    'kill': '-s/--signal=',
    'load': '-i/--input= -q/--quiet',
    'logs': '--details -f/--follow --since= -n/--tail= -t/--timestamps --until=',
    'pause': '',
    'port': '',
    'rename': '',
    'restart': '-s/--signal= -t/--timeout=',
    'rm': '-f/--force -l/--link -v/--volumes',
    'rmi': '-f/--force --no-prune',
    'save': '-o/--output=',
    'start': '-a/--attach --detach-keys= -i/--interactive',
    'stats': '-a/--all --format= --no-stream --no-trunc',
    'stop': '-s/--signal= -t/--timeout=',
    'tag': '',
    'top': '',
    'unpause': '',
    'update': (
        '--blkio-weight= --cpu-period= --cpu-quota= --cpu-rt-period= --cpu-rt-runtime= -c/--cpu-shares= '
        '--cpus= --cpuset-cpus= --cpuset-mems= -m/--memory= --memory-reservation= --memory-swap= --pids- '
        'limit= --restart='
    ),
    'wait': '',
}


def _flags(path: tuple[str, ...]) -> set[str]:
    """The long and short names (without dashes) of a real command's flags."""
    names: set[str] = set()
    for item in _FLAGS.get(" ".join(path), "").split():
        for name in item.rstrip("=").split("/"):
            names.add(name.lstrip("-"))
    return names


def is_real_command(words: list[str]) -> bool:
    """True when words (after `docker`) start with a command the real CLI has: `stats`, `volume ls`."""
    if not words or words[0] not in TOP:
        return False
    if words[0] in GROUPS and len(words) > 1 and not words[1].startswith("-"):
        return words[1] in GROUPS[words[0]]
    return True


def not_implemented(words: list[str]) -> CommandError:
    """labkit's own one-line answer for a real docker command outside the course's subset (exit 125)."""
    n = 2 if words[0] in GROUPS and len(words) > 1 and not words[1].startswith("-") else 1
    shown = " ".join(["docker", *words[:n]])
    return CommandError(f"labkit does not implement `{shown}` (a docker command outside the course's subset)\n", 125)


def flag_not_implemented(path: tuple[str, ...], name: str) -> CommandError | None:
    """labkit's own answer for a real flag of a command that labkit does not take (exit 125); None if not real.

    name is the flag as typed, without its value: `--memory`, `-m`.
    """
    bare = name.lstrip("-")
    key = path[1:] if path[0] == "container" and len(path) > 1 else path
    if bare not in _flags(path) and bare not in _flags(key) and bare not in _flags(("container", *path)):
        return None
    shown = " ".join(["docker", *path, name])
    return CommandError(f"labkit does not implement `{shown}` (a docker flag outside the course's subset)\n", 125)


def group_usage(group: str) -> str:
    """The usage line the CLI prints under "unknown command" for a group (each group's cobra command says its own)."""
    return {"volume": "docker volume COMMAND", "manifest": "docker manifest COMMAND",
            "stack": "docker stack [OPTIONS]"}.get(group, f"docker {group}")

# bash completion for outlive. outlive answers itself (System.CommandLine's [suggest:POSITION] directive), so the
# commands and options offered are always those of the installed binary.
_outlive() {
    local IFS=$'\n'
    local suggestions
    suggestions=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return
    COMPREPLY=($(compgen -W "$suggestions" -- "${COMP_WORDS[COMP_CWORD]}"))
}
# -o default: file names where outlive suggests nothing (--stdout FILE, PROGRAM after --).
complete -o default -F _outlive outlive

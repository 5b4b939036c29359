# zsh -f zsh-capture.zsh FPATH_DIR OUT_FILE LINE: what an interactive zsh offers when TAB is
# pressed at the end of LINE. A `zsh -f -i` on a pty (zsh/zpty) with FPATH_DIR first on $fpath
# and compinit run, as a user installs a completion; compadd wrapped to append each match it
# adds to OUT_FILE (the completion functions call compadd, directly or through _describe and
# _arguments).
zmodload zsh/zpty || exit 3
dir=$1 out=$2 input=$3
zpty z zsh -f -i
zpty -w z "PS1='' RPROMPT=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { builtin compadd \"\$@\"; local -a __h; builtin compadd -O __h \"\$@\" 2>/dev/null; (( \$#__h )) && print -rl -- \$__h >> ${(q)out} }"
# the echo of this line shows the unexpanded \$((6*7)): only the output matches ready42
zpty -w z "bindkey '^I' complete-word; print -r -- ready\$((6*7))"
integer i
local line
for i in {1..200}; do zpty -r -t z line && [[ $line == *ready42* ]] && break; sleep 0.05; done
(( i < 200 )) || { print -u2 "zsh-capture: the interactive zsh did not get ready"; zpty -d z; exit 4 }
zpty -w -n z "$input"$'\t'
for i in {1..100}; do [[ -s $out ]] && break; sleep 0.05; done
# the rest of the matches (compadd runs several times)
sleep 0.3
zpty -d z

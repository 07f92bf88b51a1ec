/// The words of the classic injection shapes in fifteen languages, by concept
/// (`AIInjectionConcept`), written from knowledge of the languages (never from the test sets;
/// docs/ai-security.md). Terms are separated by `|`; they are folded as the text is
/// (`AIMultilingualRules.fold`: lower case, accents off, ё → е, Arabic alef forms one), so
/// they may be written with or without accents. A term matches at the start of a word and is a
/// stem (`instrucc` finds `instrucciones`) unless it starts with `=` (the whole word: verbs
/// are listed in their imperative forms, so "ignorar" in "¿cómo ignorar un archivo?" is not
/// "ignora"). Terms in Chinese, Japanese and Korean match anywhere (no spaces between words).
/// A `:` in a term must follow it directly ("new task:" is a header, "new task for the team"
/// is not).
enum AIInjectionLexicon {
    typealias Entry = (AIInjectionConcept, String)

    static let english: [Entry] = [
        (.ignore, "=ignore|=disregard|=forget|=override|=bypass|=discard|=abandon|=skip|=nevermind|never mind|"
            + "pay no attention to|set aside|throw away|stop following|do not follow|don t follow|no longer follow|"
            + "stop obeying|do not obey|don t obey|=ignoring|=disregarding|=forgetting"),
        (.previous, "=previous|=prior|=earlier|=preceding|=initial|=original|=former|=existing|=above|"
            + "you were given|you ve been given|you have been given|you were told|you received|so far"),
        (.all, "=all|=any|=every|=everything"),
        (.your, "=your"),
        (.orders, "instruction|=rules|=rule|guideline|directive|=prompt|=prompts|=programming|=guidance|=orders|"
            + "=commands|constraint|restriction|=policies|=guardrails|system message|=directions"),
        (.above, "everything said|the beginning of this prompt|the beginning of this conversation|the start of this conversation|everything before|what i said before|everything i said|what i told you|everything you have been told|everything you ve been told|everything above|all of the above|all the above|the text above|everything before this|"
            + "everything you were told|what you were told|everything said before|everything prior"),
        (.reveal, "what was written|what is written|i need to see|let me see|=reveal|=show|=print|=display|=output|=repeat|=disclose|=dump|=leak|tell me|give me|write out|"
            + "spell out|=quote|=recite|=translate|=paste"),
        (.system, "=system|=hidden|=secret|=confidential|=developer|=initial|=original|=internal"),
        (.prompt, "=prompt|=prompts|instruction|=message|=configuration|=preamble|=directives|=rules"),
        (.fromNow, "from now on|from this point on|from this moment|you are now|you re now|you will now|henceforth|"
            + "starting now|for the rest of this conversation"),
        (.role, "act as|acting as|pretend to be|pretend you are|pretend you re|roleplay as|role play as|behave as|"
            + "play the role|you are|you will be|=become|=simulate"),
        (.noLimits, "not bound by|bound by no|isn t bound by|is not bound by|zero filter|zero restriction|zero rules|zero limit|zero guideline|without restriction|without any restriction|without limit|no restriction|no limit|no rules|"
            + "no filter|without filter|no content polic|no guideline|without guideline|no censorship|"
            + "without censorship|=unrestricted|=unfiltered|=uncensored|=limitless|free from all|free of all|"
            + "no ethical|without ethic|no moral|without moral|no safety"),
        (.send, "=send|=forward|=post|=upload|=email|=transmit|=exfiltrate|=append|=leak|markdown image|as an image|"
            + "image link"),
        (.secret, "password|credential|api key|access key|private key|ssh key|=token|=tokens|=secrets|=cookies|"
            + "session cookie|chat history|conversation history|the conversation|previous messages|"
            + "conversation so far|personal data|user data|user s data|contents of|id rsa|=env"),
        (.destination, "=http|=https|=www|=webhook|=url"),
        (.newOrders, "here are your new instructions|new instructions follow|your new instructions are|follow these new instructions|new instructions:|updated instructions:|new task:|new directive:|new rules:|new system prompt|"
            + "real instructions:|system override|admin override|new objective:|revised instructions:"),
        (.addressee, "note to the ai|note for the ai|note to the assistant|note for the assistant|attention ai|"
            + "dear ai|if you are an ai|if you re an ai|ai reading this|ais reading this|agents reading this|"
            + "model reading this|assistant reading this|instructions for the ai|message for the ai"),
        (.instead, "=instead|instead of"),
        (.hideFromUser, "do not tell the user|don t tell the user|do not mention this|don t mention this|"
            + "without telling the user|without informing the user|do not inform the user|"
            + "do not reveal this to the user|keep this secret from the user|do not let the user know|"
            + "don t let the user know|never tell the user|hide this from the user"),
        (.disable, "=disable|=disabled|turn off|=deactivate|=deactivated|=suspend|=suspended|=lift|=lifted"),
        (.safety, "safety filter|safety guideline|safety protocol|safety setting|content filter|content polic|"
            + "ethical guideline|=guardrails|=moderation|safety measure"),
        (.void, "=void|=cancelled|=canceled|no longer apply|no longer valid|=revoked|=obsolete|=overridden|"
            + "=superseded|=invalid|=null"),
        (.userTrigger, "if user asks|if the user asks|if a user asks|when the user asks|when user asks|if the user requests|if anyone asks|whenever the user asks|if the user says"),
        (.beforeTool, "before using this tool|before you use this tool|before calling this tool|before you call this tool|before using any tool|prior to using this tool|whenever this tool is used|when this tool is available"),
        (.devMode, "developer mode|dan mode|jailbreak mode|god mode|debug mode enabled|unrestricted mode"),
    ]

    static let spanish: [Entry] = [
        (.ignore, "=ignora|=ignoren|=olvida|=olvide|=olviden|=olvidate|=descarta|=descarte|=omite|=omita|"
            + "haz caso omiso|no hagas caso|no sigas|deja de seguir|=desobedece"),
        (.previous, "anterior|=previas|=previa|=previos|=previo|hasta ahora|=iniciales|=inicial|=originales|"
            + "de arriba|del sistema|que te dieron|que te han dado|que recibiste"),
        (.all, "=todas|=todos|=toda|=todo|=cualquier"),
        (.your, "=tus|=tu|=sus|=su"),
        (.orders, "instrucc|=reglas|=regla|=normas|=directrices|=directriz|=indicaciones|=ordenes|restricc|=pautas|"
            + "=prompt|=programacion|=politicas|=limitaciones|=comandos|=consignas"),
        (.above, "todo lo que dije|todo que dije|todo lo dicho|lo que te dije|todo lo anterior|lo anterior|todo lo de arriba|lo que te dijeron"),
        (.reveal, "=muestra|=muestrame|=revela|=revelame|=imprime|=dime|=repite|=escribe|=ensename|=comparte|"
            + "=copia|=traduce|=dame"),
        (.system, "=sistema|=inicial|=iniciales|ocult|secret|confidencial|=original|=originales"),
        (.prompt, "=prompt|instrucc|=mensaje|=configuracion|=reglas"),
        (.fromNow, "a partir de ahora|desde ahora|de ahora en adelante|ahora eres|ahora seras"),
        (.role, "actua como|finge ser|finge que eres|=eres|comportate como|simula ser|interpreta a|haz de"),
        (.noLimits, "sin restricc|sin ninguna restricc|sin limit|sin filtro|sin censura|sin reglas|sin normas|sin etica"),
        (.send, "=envia|=envie|=enviame|=manda|=mande|=reenvia|=reenvie|=sube|=publica|=adjunta|=anade"),
        (.secret, "contrasen|=credenciales|clave api|clave de api|=token|historial|=conversacion|datos personales|"
            + "=secretos|=cookies"),
        (.newOrders, "estas son tus nuevas instrucciones|siguen nuevas instrucciones|nuevas instrucciones:|nueva tarea:|instrucciones actualizadas:|nuevas reglas:"),
        (.addressee, "nota para el asistente|nota para la ia|si eres una ia|atencion ia|aviso para la ia|"
            + "instrucciones para la ia"),
        (.instead, "en lugar de|en vez de|en su lugar"),
        (.hideFromUser, "no le digas al usuario|no se lo digas al usuario|sin decirle al usuario|no informes al usuario|"
            + "no menciones esto|sin avisar al usuario"),
        (.disable, "=desactiva|=desactive|=desactivados|=desactivado|suspendid|=elimina|=quita"),
        (.safety, "filtros de seguridad|filtro de seguridad|politicas de contenido|politica de contenido|"
            + "directrices eticas|medidas de seguridad"),
        (.void, "=anuladas|=anulados|=anulado|=nulas|ya no son validas|ya no aplican|=canceladas|=invalidas|=revocadas|"
            + "quedan sin efecto"),
        (.userTrigger, "si el usuario pregunta|cuando el usuario pregunte|si el usuario pide"),
        (.beforeTool, "antes de usar esta herramienta|antes de utilizar esta herramienta|antes de llamar a esta herramienta"),
        (.devMode, "modo desarrollador|modo de desarrollador|modo dan|modo sin restricciones"),
    ]

    static let french: [Entry] = [
        (.ignore, "=ignorez|=oublie|=oubliez|ne tiens pas compte|ne tenez pas compte|ne tiens plus compte|"
            + "fais abstraction|faites abstraction|=ecarte|=ecartez|ne suis plus|ne suivez plus|=desobeis"),
        (.previous, "precedent|anterieur|ci dessus|=initiales|=originales|=originelles|du systeme|jusqu ici|"
            + "qu on t a donne|qu on vous a donne"),
        (.all, "=toutes|=tous|=tout"),
        (.your, "=tes|=vos|=ton|=ta|=votre"),
        (.orders, "consigne|=regles|=directives|=ordres|=limites|=politiques|=programmation"),
        (.above, "tout ce que j ai dit|tout ce qui precede|ce qui precede|tout ce qui est au dessus|tout ce qu on t a dit"),
        (.reveal, "=affiche|=affichez|=montre|=montrez|=revele|=revelez|=imprime|=imprimez|=repete|=repetez|dis moi|"
            + "donne moi|=ecris|=ecrivez|=traduis|=traduisez|=recopie"),
        (.system, "=systeme|=initial|=initiale|=initiales|=cachees|=cachee|secret|confidenti|originel"),
        (.prompt, "=prompt|consigne|=invite|=configuration"),
        (.fromNow, "desormais|a partir de maintenant|dorenavant|des maintenant|tu es maintenant"),
        (.role, "agis comme|agissez comme|fais semblant|faites semblant|=tu es|joue le role|comporte toi comme|"
            + "imagine que tu es|=incarne"),
        (.noLimits, "sans aucune limite|sans limite|sans restriction|sans aucune restriction|sans filtre|sans censure|"
            + "sans regle|sans aucune regle|aucune limite|aucune restriction|aucun filtre|sans ethique"),
        (.send, "=envoie|=envoyez|=transfere|=transferez|=publie|=televerse|=ajoute|=joins"),
        (.secret, "mot de passe|mots de passe|=identifiants|cle api|cles api|=jeton|historique|la conversation|"
            + "donnees personnelles"),
        (.newOrders, "voici tes nouvelles instructions|voici vos nouvelles instructions|nouvelles instructions:|nouvelle tache:|nouvelles consignes:|nouvelle consigne:"),
        (.addressee, "note a l ia|note pour l ia|note pour l assistant|a l attention de l ia|"
            + "a l attention de l assistant|si tu es une ia|si vous etes une ia|message pour l ia"),
        (.instead, "a la place|au lieu de|=plutot"),
        (.hideFromUser, "ne dis pas a l utilisateur|ne le dis pas a l utilisateur|sans prevenir l utilisateur|"
            + "sans le dire a l utilisateur|n en parle pas a l utilisateur|ne previens pas l utilisateur|ne mentionne pas"),
        (.disable, "=desactive|=desactivez|=desactives|=desactivees|suspendu|=supprime|=leve"),
        (.safety, "filtres de securite|filtre de securite|politique de contenu|garde fous|regles de securite|"
            + "regles ethiques"),
        (.void, "=annulees|=annules|ne s appliquent plus|ne sont plus valables|=caduques|=nulles|=obsoletes"),
        (.userTrigger, "si l utilisateur demande|quand l utilisateur demande|lorsque l utilisateur demande"),
        (.beforeTool, "avant d utiliser cet outil|avant d appeler cet outil|avant toute utilisation de cet outil"),
        (.devMode, "mode developpeur|mode dan|mode sans restriction"),
    ]

    static let german: [Entry] = [
        (.ignore, "=ignoriere|=ignorier|ignorieren sie|=vergiss|vergessen sie|=missachte|missachten sie|=verwirf|"
            + "beachte nicht|befolge nicht|hor auf|ausser kraft|außer kraft"),
        (.previous, "vorherig|=vorigen|=vorige|bisherig|fruher|=obigen|=obige|ursprunglich|anfanglich|"
            + "die du erhalten hast|die dir gegeben"),
        (.all, "=alle|=allen|=alles|samtlich"),
        (.your, "=deine|=deinen|=deiner|=ihre|=ihren"),
        (.orders, "anweisung|instruktion|=regeln|richtlinie|vorgabe|=befehle|einschrankung|beschrankung|=prompt|"
            + "systemprompt|=programmierung"),
        (.above, "alles gesagte|alles was gesagt wurde|alles zuvor gesagte|alles vorher gesagte|alles was ich gesagt habe|alles bisher gesagte|alles oben|alles obige|alles bisherige|alles vorherige|alles davor|alles was dir gesagt"),
        (.reveal, "=zeige|=zeig|zeigen sie|=gib|geben sie|=verrate|=nenne|=drucke|=wiederhole|=schreibe|=schreib|"
            + "=offenbare|=ubersetze|=enthulle"),
        (.system, "system|versteckt|geheim|vertraulich|ursprunglich|=initialen"),
        (.prompt, "systemprompt|systemanweisung|systemnachricht|=prompt|prompt|anweisung|=nachricht|=konfiguration|=regeln"),
        (.fromNow, "ab jetzt|ab sofort|von nun an|du bist jetzt|du bist nun|ab heute"),
        (.role, "tu so als|tue so als|verhalte dich wie|=du bist|spiele die rolle|agiere als|stell dir vor du bist"),
        (.noLimits, "ohne einschrankung|ohne jede einschrankung|ohne jegliche einschrankung|ohne grenzen|ohne filter|"
            + "ohne zensur|ohne regeln|ohne beschrankung|keine einschrankungen|keine regeln|keine grenzen|"
            + "uneingeschrankt|ohne moral"),
        (.send, "=sende|=schicke|=schick|senden sie|=leite|=lade|=poste|=hange|=ubermittle"),
        (.secret, "passwort|kennwort|zugangsdaten|api schlussel|=token|=geheimnisse|chatverlauf|gesprachsverlauf|"
            + "=unterhaltung|personliche daten|=cookies"),
        (.newOrders, "folgen neue anweisungen|hier sind deine neuen anweisungen|hier sind ihre neuen anweisungen|neue anweisungen:|neue aufgabe:|neue regeln:|aktualisierte anweisungen:"),
        (.addressee, "hinweis an die ki|hinweis fur die ki|notiz fur die ki|an die ki|hinweis an den assistenten|"
            + "falls du eine ki bist|wenn du eine ki bist"),
        (.instead, "=stattdessen|=anstatt"),
        (.hideFromUser, "sag dem nutzer nicht|sage dem nutzer nicht|sag dem benutzer nicht|ohne den nutzer zu informieren|"
            + "ohne den benutzer zu informieren|erwahne das nicht|verrate dem nutzer nichts"),
        (.disable, "=deaktiviere|=deaktiviert|=ausgeschaltet|=aufgehoben|=ausgesetzt|=entferne"),
        (.safety, "sicherheitsfilter|sicherheitsrichtlinie|inhaltsrichtlinie|ethische richtlinien|=schutzmechanismen"),
        (.void, "=ungultig|=aufgehoben|gelten nicht mehr|nicht mehr gultig|=hinfallig|=annulliert"),
        (.userTrigger, "wenn der nutzer fragt|wenn der benutzer fragt|falls der nutzer|falls der benutzer"),
        (.beforeTool, "bevor du dieses tool|bevor sie dieses tool|vor der nutzung dieses tools|bevor du dieses werkzeug"),
        (.devMode, "entwicklermodus|dan modus|modus ohne einschrankungen"),
    ]

    static let italian: [Entry] = [
        (.ignore, "=ignora|=ignorate|=ignori|=dimentica|=dimenticate|=trascura|=tralascia|non seguire|"
            + "non tenere conto|non considerare|=scarta"),
        (.previous, "precedent|=anteriori|fino ad ora|=iniziali|=originali|di sistema|qui sopra|che ti sono state date"),
        (.all, "=tutte|=tutti|=tutto|=qualsiasi"),
        (.your, "=tuo|=tua|=vostro|=vostra|=tue|=tuoi|=vostre|=sue"),
        (.orders, "istruzion|=regole|=direttive|indicazion|=ordini|restrizion|linee guida|=prompt|=limitazioni|=comandi|"
            + "=politiche|=programmazione"),
        (.above, "tutto quello che ho detto|tutto quanto sopra|tutto cio che precede|tutto quello sopra|quanto detto prima|"
            + "tutto quello che ti e stato detto"),
        (.reveal, "=mostra|=mostrami|=rivela|=rivelami|=stampa|=ripeti|=dimmi|=scrivi|=dammi|=traduci|=visualizza|"
            + "=condividi|=copia"),
        (.system, "=sistema|=iniziali|=iniziale|nascost|segret|riservat|confidenzial"),
        (.prompt, "=prompt|istruzion|=messaggio|=configurazione"),
        (.fromNow, "d ora in poi|da ora in poi|da adesso|a partire da ora|ora sei|adesso sei|da questo momento"),
        (.role, "fingi di essere|agisci come|comportati come|immagina di essere|fai finta"),
        (.noLimits, "senza restrizion|senza alcuna restrizion|senza limit|senza filtr|senza censur|senza regole|"
            + "nessuna restrizione|nessun limite|nessun filtro|senza etica"),
        (.send, "=invia|=manda|=inoltra|=carica|=pubblica|=aggiungi|=allega"),
        (.secret, "password|=credenziali|chiave api|chiavi api|=token|cronologia|=conversazione|dati personali|=segreti"),
        (.newOrders, "nuove istruzioni:|nuovo compito:|nuove regole:|istruzioni aggiornate:"),
        (.addressee, "nota per l ia|nota per l assistente|se sei un ia|se sei un intelligenza artificiale|attenzione ia"),
        (.instead, "=invece|al posto di|=anziche"),
        (.hideFromUser, "non dire all utente|non dirlo all utente|senza avvisare l utente|senza dirlo all utente|"
            + "non informare l utente|non menzionare"),
        (.disable, "=disattiva|=disattivati|=disattivato|sospes|=rimuovi"),
        (.safety, "filtri di sicurezza|filtro di sicurezza|politiche sui contenuti|linee guida etiche|misure di sicurezza"),
        (.void, "=annullate|=nulle|non sono piu valide|non valgono piu|=revocate"),
        (.userTrigger, "se l utente chiede|quando l utente chiede"),
        (.beforeTool, "prima di usare questo strumento|prima di utilizzare questo strumento|prima di chiamare questo strumento"),
        (.devMode, "modalita sviluppatore|modalita dan|modalita senza restrizioni"),
    ]

    static let portuguese: [Entry] = [
        (.ignore, "=ignore|=ignora|=ignorem|=esqueca|=esquece|=desconsidere|=desconsidera|=descarte|=despreze|"
            + "nao siga|deixe de seguir|nao obedeca"),
        (.previous, "anterior|=previas|=previos|=iniciais|=originais|ate agora|=acima|do sistema|que voce recebeu|"
            + "que lhe foram dadas"),
        (.all, "=todas|=todos|=qualquer"),
        (.your, "=suas|=seus|=seu|=sua|=tuas|=teus"),
        (.orders, "instruc|=regras|=diretrizes|orientac|=ordens|restric|=prompt|=comandos|=politicas|=limitacoes|"
            + "=programacao"),
        (.above, "tudo o que eu disse|tudo acima|tudo o que foi dito|tudo o que esta acima|todo o texto acima"),
        (.reveal, "=mostre|=mostra|=revele|=revela|=imprima|=repita|=diga|=escreva|=exiba|=traduza|=compartilhe"),
        (.system, "=sistema|=iniciais|ocult|secret|confidenci|=original|=originais"),
        (.prompt, "=prompt|instruc|=mensagem|=configuracao"),
        (.fromNow, "a partir de agora|de agora em diante|agora voce e|a partir deste momento"),
        (.role, "finja ser|finja que|aja como|atue como|=voce e|comporte se como"),
        (.noLimits, "sem restric|sem nenhuma restric|sem limit|sem filtro|sem censura|sem regras|nenhuma restric|sem etica"),
        (.send, "=envie|=envia|=mande|=encaminhe|=carregue|=publique|=anexe|=adicione"),
        (.secret, "senha|=credenciais|chave de api|chave api|=token|historico|=conversa|dados pessoais|=segredos"),
        (.newOrders, "novas instrucoes:|nova tarefa:|novas regras:"),
        (.addressee, "nota para o assistente|nota para a ia|se voce e uma ia|atencao ia"),
        (.instead, "em vez de|ao inves de|em vez disso"),
        (.hideFromUser, "nao diga ao usuario|nao conte ao usuario|sem avisar o usuario|sem informar o usuario|nao mencione"),
        (.disable, "=desative|=desativa|=desativados|=desativado|suspens|=remova"),
        (.safety, "filtros de seguranca|filtro de seguranca|politicas de conteudo|diretrizes eticas"),
        (.void, "=anuladas|=canceladas|nao sao mais validas|nao valem mais|=revogadas|=invalidas"),
        (.userTrigger, "se o usuario perguntar|quando o usuario perguntar|se o usuario pedir"),
        (.beforeTool, "antes de usar esta ferramenta|antes de utilizar esta ferramenta|antes de chamar esta ferramenta"),
        (.devMode, "modo desenvolvedor|modo de desenvolvedor|modo dan"),
    ]

    static let dutch: [Entry] = [
        (.ignore, "=negeer|=vergeet|houd geen rekening|volg niet|=verwerp|sla over"),
        (.previous, "=vorige|voorgaand|eerder|=bovenstaande|oorspronkelijk|=oude|die je hebt gekregen"),
        (.all, "=alle|=alles|=elke"),
        (.your, "=je|=jouw|=uw"),
        (.orders, "instructie|=regels|richtlijn|opdracht|beperking|=prompt|=bevelen|=voorschriften"),
        (.above, "alles hierboven|alles wat hierboven staat|al het voorgaande|alles wat je is verteld"),
        (.reveal, "=toon|=laat|=print|=herhaal|=vertel|=geef|=schrijf|=onthul|=vertaal"),
        (.system, "systeem|=verborgen|geheim|vertrouwelijk|=oorspronkelijke"),
        (.prompt, "=prompt|systeemprompt|instructie|=bericht|systeembericht|=configuratie"),
        (.fromNow, "vanaf nu|van nu af aan|je bent nu|vanaf dit moment"),
        (.role, "doe alsof|gedraag je als|speel de rol|fungeer als|treed op als"),
        (.noLimits, "zonder beperking|zonder enige beperking|zonder grenzen|zonder filter|zonder censuur|zonder regels|"
            + "geen beperkingen|geen regels|zonder limieten"),
        (.send, "=stuur|=verstuur|=verzend|=upload|=plaats|=mail"),
        (.secret, "wachtwoord|inloggegevens|api sleutel|=token|chatgeschiedenis|gespreksgeschiedenis|=gesprek|"
            + "persoonlijke gegevens|=geheimen"),
        (.newOrders, "nieuwe instructies:|nieuwe taak:|nieuwe opdracht:|nieuwe regels:"),
        (.addressee, "notitie voor de ai|opmerking voor de ai|aan de ai|aan de assistent|als je een ai bent"),
        (.instead, "in plaats daarvan|in plaats van"),
        (.hideFromUser, "vertel de gebruiker niet|zeg niets tegen de gebruiker|zonder de gebruiker te informeren|"
            + "vermeld dit niet"),
        (.disable, "=uitgeschakeld|=deactiveer|=opgeschort|=verwijder"),
        (.safety, "veiligheidsfilter|inhoudsbeleid|ethische richtlijnen|veiligheidsregels"),
        (.void, "=ongeldig|=vervallen|=ingetrokken|gelden niet meer|niet langer geldig"),
        (.userTrigger, "als de gebruiker vraagt|wanneer de gebruiker vraagt"),
        (.beforeTool, "voordat je deze tool|voordat u deze tool|voor gebruik van deze tool"),
        (.devMode, "ontwikkelaarsmodus|dan modus"),
    ]

    static let polish: [Entry] = [
        (.ignore, "=zignoruj|=ignoruj|=zignorujcie|=zapomnij|=zapomnijcie|=pomin|nie zwazaj na|nie stosuj sie|"
            + "przestan stosowac|nie przestrzegaj|=odrzuc"),
        (.previous, "poprzedni|wczesniejsz|powyzsz|poczatkow|dotychczasow|oryginaln|ktore otrzymales"),
        (.all, "wszystk|=kazde|=wszelkie"),
        (.your, "=swoje|=twoje|=twoich|=swoich|=twoj|=swoj"),
        (.orders, "instrukcj|polecen|=zasady|=zasad|regul|wytyczn|ograniczen|=prompt|=rozkazy|=komendy|zalecen"),
        (.above, "wszystko powyzej|wszystko co powyzej|wszystko wczesniej|wszystko co ci powiedziano"),
        (.reveal, "=pokaz|=wyswietl|=ujawnij|=wypisz|=powtorz|=podaj|=napisz|=przetlumacz|=wydrukuj|=zdradz|=udostepnij"),
        (.system, "systemow|=system|ukryt|tajn|poufn|poczatkow|oryginaln"),
        (.prompt, "=prompt|=promptu|instrukcj|=wiadomosc|komunikat|konfiguracj|monit"),
        (.fromNow, "od teraz|od tej chwili|od tej pory|teraz jestes|=odtad"),
        (.role, "=udawaj|zachowuj sie jak|wciel sie|odgrywaj role|dzialaj jako"),
        (.noLimits, "bez ograniczen|bez zadnych ograniczen|bez filtrow|bez cenzury|bez zasad|bez regul|zadnych ograniczen|"
            + "bez limitow"),
        (.send, "=wyslij|=przeslij|=przekaz|=wrzuc|=opublikuj|=zalacz|=dodaj"),
        (.secret, "hasl|dane logowania|klucz api|=token|histori|=rozmowe|=rozmowy|dane osobowe|=sekrety"),
        (.newOrders, "nowe instrukcje:|nowe zadanie:|nowe polecenie:|nowe zasady:"),
        (.addressee, "uwaga dla ai|notatka dla ai|dla asystenta ai|jesli jestes ai"),
        (.instead, "=zamiast|w zamian"),
        (.hideFromUser, "nie mow uzytkownikowi|nie informuj uzytkownika|bez informowania uzytkownika|nie wspominaj"),
        (.disable, "=wylacz|=wylaczone|=zawieszone|=dezaktywuj|=usun"),
        (.safety, "filtry bezpieczenstwa|filtr bezpieczenstwa|zasady bezpieczenstwa|polityka tresci|zasady etyczne"),
        (.void, "=niewazne|=uniewaznione|=anulowane|nie obowiazuja"),
        (.userTrigger, "jesli uzytkownik zapyta|gdy uzytkownik zapyta"),
        (.beforeTool, "przed uzyciem tego narzedzia|zanim uzyjesz tego narzedzia"),
        (.devMode, "tryb dewelopera|tryb programisty|tryb dan"),
    ]

    static let russian: [Entry] = [
        (.ignore, "=игнорируй|=проигнорируй|=игнорируйте|=проигнорируйте|=забудь|=забудьте|не обращай внимания|"
            + "не обращайте внимания|=отбрось|=отбросьте|не следуй|не выполняй|перестань следовать|=отмени|=пренебреги"),
        (.previous, "предыдущ|прежн|предшествующ|=выше|вышеуказанн|вышеизложенн|исходн|первоначальн|=ранее|"
            + "которые тебе дали|которые ты получил"),
        (.all, "=все|=всех|=всем|=любые|=всякие"),
        (.your, "=свои|=твои|=ваши|=свой|=твой|=ваш|=своих|=твоих"),
        (.orders, "инструкци|указани|=правила|=правил|=правилам|=правилами|=правило|ограничени|директив|промпт|"
            + "=команды|=приказы|=установки"),
        (.above, "все что я сказал|все сказанное|все что выше|все вышесказанное|все сказанное ранее|все что было выше|все что тебе сказали"),
        (.reveal, "=покажи|=покажите|=выведи|=выведите|=раскрой|=раскройте|=повтори|=повторите|=напечатай|=напиши|"
            + "=скажи|=расскажи|=переведи|=выдай|=озвучь|=процитируй"),
        (.system, "системн|скрыт|секретн|конфиденциальн|исходн|первоначальн|начальн"),
        (.prompt, "промпт|инструкци|сообщени|=настройки|конфигураци"),
        (.fromNow, "с этого момента|=отныне|теперь ты|с сегодняшнего дня|начиная с этого момента"),
        (.role, "=притворись|представь что ты|веди себя как|сыграй роль|действуй как"),
        (.noLimits, "без ограничений|без каких либо ограничений|без фильтров|без цензуры|без правил|без запретов|"
            + "никаких ограничений|без морали|без этики|без границ"),
        (.send, "=отправь|=отправьте|=перешли|=перешлите|=загрузи|=опубликуй|=добавь|=прикрепи"),
        (.secret, "парол|учетные данные|api ключ|ключ api|=токен|истори|переписк|личные данные|=секреты|=куки"),
        (.newOrders, "новые инструкции:|новая задача:|новые правила:|новое задание:"),
        (.addressee, "примечание для ии|заметка для ии|если ты ии|если вы ии|внимание ии"),
        (.instead, "=вместо|=взамен"),
        (.hideFromUser, "не говори пользователю|не сообщай пользователю|не сообщайте пользователю|"
            + "без ведома пользователя|не упоминай"),
        (.disable, "=отключи|=отключены|=отключен|=выключи|=сняты|=приостановлены|=удали"),
        (.safety, "фильтры безопасности|фильтр безопасности|политика контента|политики безопасности|этические нормы|"
            + "правила безопасности"),
        (.void, "=отменены|=аннулированы|=недействительны|больше не действуют|утратили силу"),
        (.userTrigger, "если пользователь спросит|когда пользователь спросит|если пользователь попросит"),
        (.beforeTool, "перед использованием этого инструмента|прежде чем использовать этот инструмент|перед вызовом этого инструмента"),
        (.devMode, "режим разработчика|режим dan|режим без ограничений"),
    ]

    static let chinese: [Entry] = [
        (.ignore, "忽略|忽视|忽視|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|别管|不要遵守|不再遵守|停止遵守|抛弃|丢弃|放弃"),
        (.previous, "之前|以前|先前|此前|上面|上述|以上|前面|原来|原有|原始|最初|你收到的|给你的"),
        (.all, "所有|全部|一切|任何"),
        (.your, "你的|您的"),
        (.orders, "指令|指示|规则|規則|提示词|提示詞|限制|设定|設定|命令|约束|約束|准则|準則|规定|規定"),
        (.above, "以上所有内容|上面的所有内容|上面的内容|之前的内容|以上内容|前面的内容"),
        (.reveal, "告诉我|告訴我|显示|顯示|输出|輸出|打印|展示|透露|泄露|重复|重複|给我看|翻译|翻譯|说出|說出|写出|公开"),
        (.system, "系统|系統|隐藏|隱藏|秘密|机密|機密|初始|原始"),
        (.prompt, "提示词|提示詞|提示|指令|消息|訊息|设定|設定|配置|指示"),
        (.fromNow, "从现在开始|從現在開始|从现在起|從現在起|从今以后|你现在是|你現在是"),
        (.role, "扮演|假装你是|假裝你是|假设你是|充当"),
        (.noLimits, "没有任何限制|沒有任何限制|没有限制|沒有限制|无限制|無限制|不受限制|不受任何限制|没有规则|没有道德|"
            + "没有审查|无审查|不受约束"),
        (.send, "发送|發送|发到|發到|转发|轉發|上传|上傳|发给|發給|附加到"),
        (.secret, "密码|密碼|凭证|憑證|密钥|密鑰|令牌|聊天记录|聊天記錄|对话记录|對話記錄|历史记录|个人信息|個人資料"),
        (.newOrders, "新指令:|新的指令:|新任务:|新的任务:|新任務:"),
        (.addressee, "致ai|给ai|致人工智能|给人工智能|如果你是ai|如果你是人工智能|助手请注意"),
        (.instead, "而是|改为|改為|取而代之"),
        (.hideFromUser, "不要告诉用户|不要告訴用戶|不要让用户知道|不要讓用戶知道|瞒着用户|不要通知用户|不要提及"),
        (.disable, "关闭|關閉|禁用|停用|解除|暂停|暫停|移除"),
        (.safety, "安全过滤|安全過濾|安全限制|内容政策|內容政策|安全准则|安全策略|审查机制|道德准则"),
        (.void, "作废|作廢|无效|無效|失效|已取消|不再有效|不再适用"),
        (.userTrigger, "如果用户问|如果用户要求|当用户问|如果用戶問"),
        (.beforeTool, "在使用此工具之前|使用此工具前|在使用这个工具之前|调用此工具前|在调用此工具之前"),
        (.devMode, "开发者模式|開發者模式|dan模式|越狱模式|越獄模式"),
    ]

    static let japanese: [Entry] = [
        (.ignore, "無視|忘れ|従わない|従うな|破棄|捨て"),
        (.previous, "これまで|以前|前の|上記|先ほど|元の|最初の|今までの|前述|あなたに与えられた"),
        (.all, "すべて|全て|全部|あらゆる|一切"),
        (.your, "あなたの|君の|お前の"),
        (.orders, "指示|命令|ルール|規則|制限|設定|プロンプト|指令|ガイドライン|制約|方針"),
        (.above, "上記の内容|以上の内容|これまでの内容|上の文章|上記すべて|上記の全て"),
        (.reveal, "表示|見せ|教え|出力|公開|繰り返|書き出|印刷|開示|翻訳|明かし|言って"),
        (.system, "システム|隠され|秘密|機密|初期|内部"),
        (.prompt, "プロンプト|指示|メッセージ|設定|命令"),
        (.fromNow, "今から|これから|今後|今日から|以降"),
        (.role, "なりきって|のふりをし|ふりをして|として振る舞|として行動|演じ"),
        (.noLimits, "制限なし|制限のない|制限なく|制約なし|制約のない|制限を受けない|無制限|検閲なし|検閲のない|"
            + "フィルターなし|ルールなし|倫理なし|何の制限も"),
        (.send, "送信|送って|転送|アップロード|送れ|送付|添付|投稿"),
        (.secret, "パスワード|認証情報|apiキー|トークン|会話履歴|チャット履歴|個人情報|秘密鍵|クッキー"),
        (.newOrders, "新しい指示:|新しいタスク:|新たな指示:|新しい命令:|新しいルール:"),
        (.addressee, "aiへの注意|aiへの指示|aiアシスタントへ|もしあなたがaiなら|aiの方へ"),
        (.instead, "代わりに|かわりに"),
        (.hideFromUser, "ユーザーに伝えない|ユーザーに言わない|ユーザーに知らせない|ユーザーには言わない|ユーザーに伝えず|"
            + "ユーザーに知らせず|言及しない"),
        (.disable, "無効|解除|オフにし|停止|外し"),
        (.safety, "安全フィルター|安全フィルタ|コンテンツポリシー|安全ガイドライン|倫理規定|安全対策|セーフティ"),
        (.void, "取り消さ|破棄さ|もう有効ではない|適用されない"),
        (.userTrigger, "ユーザーが尋ねたら|ユーザーに聞かれたら|ユーザーが求めたら"),
        (.beforeTool, "このツールを使う前に|このツールを使用する前に|このツールを呼び出す前に"),
        (.devMode, "開発者モード|danモード|脱獄モード"),
    ]

    static let korean: [Entry] = [
        (.ignore, "무시|잊어|잊고|잊으|따르지 마|따르지 말|버려|폐기"),
        (.previous, "이전|앞의|앞서|위의|위에|기존|원래|처음|지금까지|너에게 주어진|당신에게 주어진"),
        (.all, "모든|전부|모두"),
        (.your, "너의|당신의"),
        (.orders, "지시|명령|규칙|지침|제한|프롬프트|설정|제약|가이드라인|정책"),
        (.above, "위의 내용|이전 내용|위 내용|앞의 내용|지금까지의 내용|위에 있는 모든"),
        (.reveal, "보여|알려|출력|공개|반복|말해|밝혀|인쇄|번역|적어"),
        (.system, "시스템|숨겨진|비밀|기밀|초기|내부"),
        (.prompt, "프롬프트|지시|메시지|설정|명령"),
        (.fromNow, "지금부터|이제부터|오늘부터|이제 너는"),
        (.role, "척해|척하|역할을|처럼 행동|인 것처럼"),
        (.noLimits, "제한 없는|제한 없이|제한이 없는|무제한|검열 없는|검열 없이|필터 없는|필터 없이|규칙 없는|규칙 없이|"
            + "제약 없는|제약 없이|윤리 없는"),
        (.send, "보내|전송|전달|업로드|첨부|게시"),
        (.secret, "비밀번호|암호|자격 증명|api 키|토큰|대화 기록|채팅 기록|개인정보|개인 정보"),
        (.newOrders, "새로운 지시:|새 지시:|새로운 작업:|새 작업:|새로운 명령:"),
        (.addressee, "ai에게|ai 어시스턴트에게|어시스턴트에게|ai라면|인공지능에게"),
        (.instead, "대신"),
        (.hideFromUser, "사용자에게 알리지|사용자에게 말하지|사용자에게 알려주지|사용자 모르게|언급하지 마"),
        (.disable, "비활성화|해제|끄고|중단"),
        (.safety, "안전 필터|보안 필터|콘텐츠 정책|안전 지침|윤리 지침|안전장치"),
        (.void, "무효|취소되|폐기되|더 이상 유효하지|적용되지 않"),
        (.userTrigger, "사용자가 묻으면|사용자가 물어보면|사용자가 요청하면"),
        (.beforeTool, "이 도구를 사용하기 전에|이 도구를 호출하기 전에"),
        (.devMode, "개발자 모드|dan 모드|탈옥 모드"),
    ]

    static let turkish: [Entry] = [
        (.ignore, "yok say|=unut|=unutun|gormezden gel|dikkate alma|=uyma|uymayi birak|=reddet|goz ardi et"),
        (.previous, "onceki|=yukaridaki|=ilk|=eski|=mevcut|su ana kadarki|simdiye kadarki|=orijinal|sana verilen"),
        (.all, "=tum|=butun|=her|=hepsi|=herhangi"),
        (.your, "=istemini|=istemin|=talimatlarini|=kurallarini|=senin"),
        (.orders, "talimat|kural|yonerge|komut|kisitlama|sinirlama|=istem|=istemi|=istemleri|prompt|emir|yonlendirme"),
        (.above, "yukaridaki her sey|yukaridakileri|oncekileri|su ana kadar soylenen her sey|sana soylenen her sey"),
        (.reveal, "=goster|=gosterin|=yazdir|=soyle|=tekrarla|=paylas|=cevir|=yaz|=ifsa"),
        (.system, "sistem|gizli|=ilk|=orijinal|=baslangic"),
        (.prompt, "=istem|=istemi|=istemini|prompt|komut|talimat|mesaj"),
        (.fromNow, "bundan sonra|bundan boyle|artik sen|su andan itibaren"),
        (.role, "gibi davran|rolune gir|taklit et|oldugunu varsay|farz et"),
        (.noLimits, "sinirsiz|kisitlamasiz|kisitlama olmadan|sinir olmadan|filtresiz|sansursuz|kural tanimayan|"
            + "hicbir kisitlama|hicbir sinir|kuralsiz"),
        (.send, "=gonder|=ilet|=yukle|=ekle|=yayinla"),
        (.secret, "sifre|parola|kimlik bilgileri|api anahtari|=token|sohbet gecmisi|gecmis|kisisel veriler|=cerez"),
        (.newOrders, "yeni talimatlar:|yeni gorev:|yeni kurallar:"),
        (.addressee, "yapay zekaya not|yapay zeka icin not|asistana not|eger bir yapay zekaysan"),
        (.instead, "=yerine|bunun yerine"),
        (.hideFromUser, "kullaniciya soyleme|kullaniciya bahsetme|kullaniciya haber verme|kullaniciya bildirmeden|"
            + "kullaniciya soylemeden"),
        (.disable, "devre disi|=kapat|=kaldir|askiya alin"),
        (.safety, "guvenlik filtre|icerik politika|etik kural|guvenlik kural"),
        (.void, "=gecersiz|iptal edildi|artik gecerli degil"),
        (.userTrigger, "kullanici sorarsa|kullanici isterse"),
        (.beforeTool, "bu araci kullanmadan once|bu araci cagirmadan once"),
        (.devMode, "gelistirici modu|dan modu"),
    ]

    static let arabic: [Entry] = [
        (.ignore, "تجاهل|وتجاهل|=انس|=انسى|وانس|لا تتبع|لا تلتزم|اهمل|تخط"),
        (.previous, "السابق|سابق|=اعلاه|الاصلي|الاولي|التي تلقيتها|المعطاة لك"),
        (.all, "=جميع|=كل|=كافة"),
        (.your, "الخاص بك|الخاصه بك|الخاصة بك"),
        (.orders, "التعليمات|تعليمات|القواعد|قواعد|الاوامر|اوامر|القيود|قيود|الارشادات|ارشادات|التوجيهات|توجيهات|موجه|"
            + "الموجه"),
        (.above, "كل ما سبق|ما سبق|كل ما ورد اعلاه"),
        (.reveal, "اكشف|=اظهر|اعرض|اطبع|كرر|اخبرني|=قل|اكتب|ترجم|شارك|=ارني"),
        (.system, "النظام|=نظام|المخفي|السري|السرية|الاولي"),
        (.prompt, "موجه|الموجه|تعليمات|التعليمات|رسالة|الرسالة|اعدادات"),
        (.fromNow, "من الان|اعتبارا من الان|انت الان|بدءا من الان"),
        (.role, "تظاهر|تصرف ك|تصرف مثل|العب دور"),
        (.noLimits, "بدون قيود|بلا قيود|دون قيود|بدون اي قيود|بدون حدود|بلا حدود|بدون رقابة|بدون فلتر|بدون قواعد|دون اي قيود"),
        (.send, "ارسل|وارسل|ارفع|انشر|اضف"),
        (.secret, "كلمة المرور|كلمات المرور|بيانات الاعتماد|مفتاح api|سجل المحادثة|المحادثة|البيانات الشخصية|=الاسرار"),
        (.newOrders, "تعليمات جديدة:|مهمة جديدة:|التعليمات الجديدة:"),
        (.addressee, "ملاحظة للذكاء الاصطناعي|الى الذكاء الاصطناعي|اذا كنت ذكاء اصطناعيا"),
        (.instead, "بدلا من|بدلا من ذلك"),
        (.hideFromUser, "لا تخبر المستخدم|دون اخبار المستخدم|لا تعلم المستخدم|لا تذكر"),
        (.disable, "عطل|تعطيل|ازل"),
        (.safety, "فلاتر الامان|مرشحات الامان|سياسة المحتوى|ارشادات السلامة|الضوابط الاخلاقية"),
        (.void, "=ملغاة|=لاغية|لم تعد سارية|غير صالحة"),
        (.userTrigger, "اذا سال المستخدم|عندما يسال المستخدم"),
        (.beforeTool, "قبل استخدام هذه الاداة|قبل استدعاء هذه الاداة"),
        (.devMode, "وضع المطور|وضع dan"),
    ]

    static let hindi: [Entry] = [
        (.ignore, "अनदेखा|नजरअंदाज|भूल जाओ|भूल जाइए|भूल जाएं|ध्यान मत दो|ध्यान न दें|पालन मत करो|पालन न करें|उपेक्षा"),
        (.previous, "पिछले|पिछली|पिछला|पहले|=ऊपर|ऊपर दिए|=मूल|प्रारंभिक|शुरुआती"),
        (.all, "=सभी|=सारे|=सारी|=हर"),
        (.your, "=अपना|=तुम्हारा|=आपका|=अपने|=अपनी|=तुम्हारे|=तुम्हारी|=आपके|=आपकी"),
        (.orders, "निर्देश|नियम|आदेश|प्रतिबंध|प्रॉम्प्ट|प्रोम्प्ट|दिशानिर्देश|हिदायत|सीमाएं|सीमाओं"),
        (.above, "ऊपर लिखा सब कुछ|ऊपर की सारी बातें|पहले कहा गया सब कुछ|ऊपर का सब"),
        (.reveal, "दिखाओ|दिखाइए|दिखाएं|बताओ|बताइए|बताएं|प्रिंट|दोहराओ|लिखो|प्रकट|अनुवाद"),
        (.system, "सिस्टम|छिपे|छिपा|गुप्त|गोपनीय|=मूल|प्रारंभिक"),
        (.prompt, "प्रॉम्प्ट|प्रोम्प्ट|निर्देश|संदेश|सेटिंग"),
        (.fromNow, "अब से|अभी से|आज से|अब तुम|अब आप"),
        (.role, "होने का नाटक|की तरह व्यवहार|की भूमिका|बनकर"),
        (.noLimits, "बिना किसी प्रतिबंध|बिना प्रतिबंध|बिना किसी सीमा|बिना सीमा|बिना किसी रोक|बिना फिल्टर|बिना सेंसर|बिना नियम|"
            + "बिना किसी नियम|कोई प्रतिबंध नहीं|कोई सीमा नहीं"),
        (.send, "भेजो|भेजें|भेजिए|फॉरवर्ड|अपलोड"),
        (.secret, "पासवर्ड|क्रेडेंशियल|एपीआई कुंजी|api कुंजी|टोकन|चैट इतिहास|बातचीत का इतिहास|निजी जानकारी|व्यक्तिगत जानकारी"),
        (.newOrders, "नए निर्देश:|नया कार्य:|नया काम:"),
        (.addressee, "एआई के लिए नोट|ai के लिए नोट|अगर तुम एआई हो|अगर आप एआई हैं"),
        (.instead, "के बजाय|इसके बजाय|की जगह"),
        (.hideFromUser, "उपयोगकर्ता को मत बताना|उपयोगकर्ता को न बताएं|उपयोगकर्ता को मत बताओ|यूजर को मत बताना|उपयोगकर्ता को बताए बिना"),
        (.disable, "बंद करो|बंद कर दो|हटा दो|निष्क्रिय"),
        (.safety, "सुरक्षा फिल्टर|सामग्री नीति|सुरक्षा नियम|नैतिक दिशानिर्देश"),
        (.void, "=रद्द|=अमान्य|अब लागू नहीं"),
        (.userTrigger, "अगर उपयोगकर्ता पूछे|यदि उपयोगकर्ता पूछे"),
        (.beforeTool, "इस टूल का उपयोग करने से पहले|इस टूल को इस्तेमाल करने से पहले"),
        (.devMode, "डेवलपर मोड|dan मोड"),
    ]

    static let all: [[Entry]] = [english, spanish, french, german, italian, portuguese, dutch, polish, russian, chinese,
                                 japanese, korean, turkish, arabic, hindi]
}

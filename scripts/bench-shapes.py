"""Writes the text shapes scripts/bench-shapes.sh measures: TXT of ASCII English, all-CJK,
all-Cyrillic and mixed scripts, a CSV with quoted fields and its text in a column named
`text`, a CSV of short CRLF rows whose text is column `body` (`text_column: body`, so
validate derives the text), JSON Lines with nested records and with small flat ones, and JSON
arrays compact and pretty-printed. Each file repeats a block of 20,000 generated
lines up to SIZE bytes; a manifest with one dataset sits beside each."""
import json
import os
import random
import sys

random.seed(7)
CJK = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坐集编宝谈府拉黑且随格尽剑讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷域")
CYR = ("и в не на я быть он с что а по это она этот к но они мы как из у который то за свой весь год от так о для ты же все тот мочь вы человек такой его сказать только или ещё бы себя один уже до время если сам когда другой вот говорить наш мой знать стать при чтобы дело жизнь кто первый очень два день её новый рука даже во со раз где там под можно ну какой после их работа без самый потом надо хотеть ли слово идти большой должен место иметь ничто сейчас тут лицо каждый друг нет теперь ни глаз тоже тогда видеть вопрос через да здесь дом потому сторона думать сделать страна жить чем мир последний случай голова более делать смотреть ребёнок просто конечно сила конец перед несколько вид система всегда работать между три понять пойти часть спросить город дать также никто понимать получить отношение лишь второй именно век").split()
ENG = ("the market rose as revenue grew while costs fell and the board approved a dividend for shareholders in the third quarter despite inflation pressures").split()
ACCENTED = "café naïve résumé façade déjà coöperate München Zürich São Paulo".split()


def line(kind):
    if kind == "cjk":
        return "".join(random.choice(CJK) for _ in range(random.randint(20, 120)))
    if kind == "cyr":
        return " ".join(random.choice(CYR) for _ in range(random.randint(8, 40))).capitalize() + "."
    if kind == "mixed":
        parts = []
        for _ in range(random.randint(6, 20)):
            r = random.random()
            if r < 0.4:
                parts.append(random.choice(ENG + ACCENTED))
            elif r < 0.7:
                parts.append(random.choice(CYR))
            else:
                parts.append("".join(random.choice(CJK) for _ in range(random.randint(2, 6))))
        return " ".join(parts)
    return " ".join(random.choice(ENG) for _ in range(random.randint(8, 40)))


def write(path, head, block, size, tail=b""):
    with open(path, "wb") as f:
        f.write(head)
        written = 0
        while written < size:
            f.write(block)
            written += len(block)
        f.write(tail)


def main(out, size):
    lines = {k: [line(k) for _ in range(20000)] for k in ["ascii", "cjk", "cyr", "mixed"]}
    shapes = {f"txt-{k}": ("train.txt", b"", ("\n".join(v) + "\n").encode()) for k, v in lines.items()}
    q = chr(34)
    csv_rows = "".join(
        f'{i},"t{i}","{l.replace(q, q * 2)}, ""quoted"" part"\n' for i, l in enumerate(lines["mixed"])
    )
    shapes["csv-quoted"] = ("train.csv", b"id,title,text\n", csv_rows.encode())
    body_rows = "".join(f"{i},{l[:30].replace(',', ' ')}\r\n" for i, l in enumerate(lines["ascii"]))
    shapes["csv-body-crlf"] = ("train.csv", b"id,body\r\n", body_rows.encode())
    jsonl = "".join(
        json.dumps({"id": i, "text": l, "meta": {"lang": "mixed"}}, ensure_ascii=False) + "\n"
        for i, l in enumerate(lines["mixed"])
    )
    shapes["jsonl-nested"] = ("train.jsonl", b"", jsonl.encode())
    small = "".join(json.dumps({"text": l[:40]}, ensure_ascii=False) + "\n" for l in lines["ascii"])
    shapes["jsonl-small"] = ("train.jsonl", b"", small.encode())
    records = [{"id": i, "text": l} for i, l in enumerate(lines["mixed"])]
    compact = ",".join(json.dumps(r, ensure_ascii=False) for r in records)
    pretty = ",\n".join(json.dumps(r, ensure_ascii=False, indent=2) for r in records)
    shapes["json-compact"] = ("train.json", b"[", compact.encode() + b",", b"{\"text\": \"end\"}]")
    shapes["json-pretty"] = ("train.json", b"[\n", pretty.encode() + b",\n", b"{\"text\": \"end\"}\n]\n")
    for name, (file, head, block, *tail) in shapes.items():
        os.makedirs(os.path.join(out, name, "data"), exist_ok=True)
        write(os.path.join(out, name, "data", file), head, block, size, tail[0] if tail else b"")
        with open(os.path.join(out, name, "sagetune.yaml"), "w") as m:
            column = "    text_column: body\n" if name == "csv-body-crlf" else ""
            m.write(f"stack: bench\nartifacts: s3://bench-bucket/x/\nrole: {{create: true}}\ndatasets:\n  d:\n    train: data/{file}\n{column}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

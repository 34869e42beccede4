/*! footfall.js | docs/tracker.md */
//# allFunctionsCalledOnLoad
(()=>{try{
let w=window,d=document,n=navigator,l=location,X=w.footfall,M=Math,N=Date.now,
s=d.currentScript||d.querySelector('script[data-site]')||{},
C={processTime:15,mouseMovementInterval:1},
q=[],o=[],V,S=[],U,O,L,D=0,A,T,vi=!d.hidden,G=0,bu,nx=0,nf=0,F={},tc,rt,k,v,ec=0,ur,cu,mx,mp,pd=[],
I=/^[\d-]{20,64}$/,
W=f=>(a,b)=>{try{return f(a,b)}catch(e){}},
H=(t,e,f,c,o)=>t.addEventListener(e,W(f),{passive:!0,capture:c,once:o}),
R=()=>crypto.getRandomValues(new Uint32Array(4)).join('-'),
P=R()+'-',
Z=()=>C.cookieless||C.gpc!=0&&n.globalPrivacyControl,
g=(k,f)=>{if(f||!Z())try{return JSON.parse(localStorage['ff_'+k])}catch(e){}},
p=(k,v,f)=>{if(f||!Z())try{v?localStorage['ff_'+k]=JSON.stringify(v):localStorage.removeItem('ff_'+k)}catch(e){}},
on=k=>C[k]!=0,
cl=(v,m)=>v==null?v:(v+'').replace(/[\0-\x1f\x7f-\x9f]/g,'').slice(0,m||128),
pr=p=>{try{let j=JSON.stringify(p);if(p&&p.constructor==Object&&new Blob([j]).size<4097)return JSON.parse(j)}catch(e){}},
ss=t=>{let x;if(t-S[1]<5e3)return;if(Z())return V=0,S=[];x=g('s')||S;
if(!(t-x[1]<18e5&&I.test(x[0]))){mk();x=[R()]}x[1]=t;p('s',S=x);
x=g('v');I.test(x)?V=x:p('v',V=I.test(V)?V:R())},
E=(t,a)=>{O||C.respectDnt&&n.doNotTrack==1||(a.ts=N(),a.type=t,a.url=ur==(ur=d.URL)?cu:cu=l.href.slice(0,2048),pd.push(a)>1||setTimeout(pp))},
pp=W(()=>{for(let a of pd.splice(0)){ss(a.ts);a.id=P+ec++;q.push(a)>199&&(C.site?(mk(),setTimeout(sn)):q[999]&&q.shift());try{C.onEvent?.(a)}catch(x){}}}),
en=(t=N())=>(vi&&(G+=M.max(0,M.min(t,A+3e4)-T)),T=t),
ac=(t=N())=>(t-A>3e4&&en(),A=t),
eg=()=>{en();let x=M.round(G);G=0;x>0&&on('timeCount')&&E('engagement',{engaged_ms:x})},
mk=()=>{q[0]&&C.site&&(o.push({site:C.site+'',visitor_id:V||void 0,session_id:S[0],user_id:U||void 0,
page:{url:q[0].url,title:d.title,referrer:d.referrer.slice(0,2048)},screen:{width:screen.width,height:screen.height},
language:(n.language||'').replace(/[^\w-]/g,'').slice(0,35),events:q}),q=[])},
sv=()=>{while(o[1]&&o.reduce((c,b)=>c+b.events.length,0)>500)o.shift();p('q',o[0]&&o)},
ep=()=>new URL(C.endpoint||'/api/v1/collect',s.src||l.href)+'',
bj=i=>{for(let b,j,e;b=o[i];o.splice(i,1,...e[1]?[{...b,events:e.slice(0,e.length/2)},{...b,events:e.slice(e.length/2)}]:[])){
e=b.events;j=JSON.stringify({...b,events:e.map(x=>x.url==b.page.url&&x.type!='pageview'?{...x,url:void 0}:x),sent_at:N()});if(!e[999]&&new Blob([j]).size<6e4)return j}},
sn=W(()=>{let j;if(bu||N()<nx||!(j=bj(0)))return;let b=o[0];
bu=fetch(ep(),{method:'POST',body:j}).then(r=>{bu=0;r=r.status;if(r>499||r==408||r==429)throw 0;o=o.filter(x=>x!=b);nf=0;sv();sn()})
.catch(()=>{bu=0;let t=M.min(3e5,2e3*2**nf++);nx=N()+t;setTimeout(sn,t);sv()})}),
fl=()=>{eg();pp();mk();sn();bu||o[0]&&sv()},
hd=()=>{eg();pp();mk();if(n.onLine!=0)for(let i=0,u=ep(),j;j=bj(i);){try{if(n.sendBeacon(u,j)){o.splice(i,1);continue}}catch(e){}
fetch(u,{method:'POST',body:j,keepalive:!0}).catch(()=>0);i++}sv()},
vc=h=>{en();let x=!h&&!d.hidden;if(x!=vi){vi=x;x&&(A=T);on('visibilitychange')&&E('visibility',{state:x?'visible':'hidden'})}x||hd()},
ab=()=>{for(let f in F)on('formInteractions')&&E('form',{action:'abandon',form:f,field:F[f]});F={}},
pv=()=>{if(l.href!=L){L&&(eg(),ab());E('pageview',{title:d.title,referrer:L?'':d.referrer.slice(0,2048)});L=l.href;D=0}},
nv=W(()=>on('pageNavigation')&&pv()),
rz=()=>on('windowResize')&&E('resize',{width:innerWidth,height:innerHeight}),
tr=(k,a)=>(k=cl(k))&&E('custom',{name:k,props:pr(a)}),
sl=t=>{for(var a=[],m,x,y;t&&t.parentElement;t=t.parentElement){
if(/^[a-z][\w-]{0,63}$/i.test(m=t.id)){a.unshift('#'+m);break}
m=t.localName;x=[...t.attributes].find(a=>/^data-/.test(a.name)&&/^[\w-]{1,40}$/.test(a.value));x&&(m+=`[${x.name}="${x.value}"]`);
y=[...t.parentElement.children].filter(c=>c.localName==t.localName);
y.filter(c=>!x||c.getAttribute(x.name)==x.value)[1]&&(m+=`:nth-of-type(${y.indexOf(t)+1})`);a.unshift(m)}
while((m=a.join('>')).length>512)a.shift();return m||'html'},
kc=k=>[...k][1]?/^(Enter|Backspace)$/.test(k)?k.toLowerCase():k=='Delete'?'backspace':k=='Tab'?'whitespace':/^(Arrow|Page|Home$|End$)/.test(k)?'navigation':/^(Shift|Control|Alt(Graph)?|Meta|CapsLock|Fn|OS)$/.test(k)?'modifier':'other':/\p{L}/u.test(k)?'letter':/\p{N}/u.test(k)?'digit':/\s/.test(k)?'whitespace':'punctuation',
fo=a=>e=>{mx=0;let t=e.target,f=a=='submit'?t:t.form,x=f==t?void 0:cl(t.getAttribute('name')||t.id),y=f?cl(f.getAttribute('name')||f.getAttribute('id')||''):'';
on('formInteractions')&&(f==t||/^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))&&(f==t?delete F[y]:f&&(F[y]=x),E('form',{action:a,form:y,field:x}))},
mm=()=>H(d,'mousemove',e=>{ac();setTimeout(mm,C.mouseMovementInterval*1e3);on('mouseMovement')&&E('move',{x:e.clientX,y:e.clientY})},0,1),
sc=()=>H(w,'scroll',()=>{ac();setTimeout(W(()=>{sc();on('mouseScroll')&&
E('scroll',{x:scrollX,y:scrollY,depth:D=M.max(D,M.min(100,M.round((scrollY+innerHeight)/d.documentElement.scrollHeight*100)||0))})}),500)},0,1),
mz=(e,t)=>{if(t!=mx||mp[1])mx=t,mp=e.composedPath(),mp.some(x=>x instanceof ShadowRoot)||(mp=[t]);
return mp.some(x=>x.closest?.('[type=password],[data-footfall-mask]'))},
tk=W(()=>{setTimeout(tk,(+C.processTime||15)*1e3);fl()});
if(X?.ids)return;
for(k in s.dataset)v=s.dataset[k],C[k]=/^(|true)$/.test(v)||(v!='false'&&(isNaN(v)?v:+v));
Object.assign(C,w.footfallConfig);
X=w.footfall={config:a=>Object.assign(C,a,S[1]=0),track:tr,pageview:pv,flush:fl,
identify:(u,t)=>{(u=cl(u,256))&&(p('u',U=u),E('identify',{user_id:U,traits:pr(t)}))},
reset:()=>{pp();mk();U=V=0;S=[];[...'uvs'].map(k=>p(k))},
optOut:()=>{O=1;q=[];pd=[];o=[];U=V=0;S=[];[...'uvsq'].map(k=>p(k,0,1));p('o',1,1)},
optIn:()=>p('o',O=0,1),
ids:()=>({visitor_id:V||null,session_id:S[0]||null}),
registerCustomEvent:(k,f)=>H(w,k,e=>{on('customEventRegistration')&&tr(k,e.detail);f?.(e)},1),ecommerce:{}};
for(k in X)X[k].call&&(X[k]=W(X[k]));
'view_item add_to_cart remove_from_cart begin_checkout purchase refund'.split(' ').map(k=>X.ecommerce[k.replace(/_./g,c=>c[1].toUpperCase())]=W(x=>{x=x||{};
let a=x.items?{...x}:{currency:x.currency,items:[x]};a.items=a.items.map(i=>({...i,item_id:cl(i.item_id??i.item_name,256),quantity:+i.quantity||1}));
a.transaction_id=cl(a.transaction_id);E(k,a)}));
O=g('o',1);U=cl(g('u'),256);try{o=g('q').filter(b=>b.events[0])}catch(e){}A=T=N();
['pushState','replaceState'].map(k=>{let f=history[k];history[k]=function(){setTimeout(nv);return f.apply(this,arguments)}});
H(w,'popstate',nv);H(w,'hashchange',nv);
H(w,'pageshow',e=>e.persisted&&(L=0,pv()));
H(w,'pagehide',()=>{ab();vc(1)});
H(d,'visibilitychange',()=>vc());
H(w,'online',()=>{nx=0;sn()});
H(d,'click',e=>{ac();let t=e.target,x=t.closest('a,button,input,select,textarea,label,[role=button]')||t;
on('clicks')&&E('click',{x:e.clientX,y:e.clientY,page_y:e.pageY,selector:sl(x),
text:x.isContentEditable||x.matches('input,select,textarea,[data-footfall-mask],[data-footfall-mask] *')?void 0:x.textContent.trim().replace(/\s+/g,' ').slice(0,80)||void 0})},1);
mm();sc();
H(w,'resize',()=>{clearTimeout(rt);rt=setTimeout(W(rz),500)});
H(d,'keydown',e=>{ac();let k=e.key;on('keyboardActivity')&&k&&!e.repeat&&!mz(e,e.target)&&
E('key',{class:kc(k),key:C.rawKeys?k.slice(0,64):void 0})},1);
H(d,'focusin',fo('focus'),1);H(d,'change',fo('change'),1);H(d,'submit',fo('submit'),1);
H(d,'touchstart',e=>{ac();let x=e.touches[0];on('touchEvents')&&!e.touches[1]&&E('touch',tc={action:'start',x:x.clientX,y:x.clientY})},1);
H(d,'touchend',e=>{let x=e.changedTouches[0];tc&&E('touch',{action:M.hypot(x.clientX-tc.x,x.clientY-tc.y)<10?'tap':'swipe',x:x.clientX,y:x.clientY});tc=0},1);
'play pause ended seeked'.split(' ').map(k=>H(d,k,e=>{let t=e.target,u=t.currentSrc;on('audioVideoInteraction')&&u&&
E('media',{action:k=='seeked'?'seek':k,src:u.slice(0,2048),position_ms:M.round(t.currentTime*1e3)||0})},1));
pv();rz();tk()
}catch(e){}})()
